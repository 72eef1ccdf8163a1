import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { computeMsgSignature, computeSignature, verifyMsgSignature, verifySignature } from "./signature";

// §B3 official vectors (token AAAAA) and the constructed example.
const URL_VECTORS = [
  { token: "tok123", timestamp: "1700000000", nonce: "987654321", signature: "82f7f5266e6a643fa74d4a59e2650c7d6f3e208e" },
  { token: "AAAAA", timestamp: "1714036504", nonce: "1514711492", signature: "f464b24fc39322e44b38aa78f5edd27bd1441696" },
  { token: "AAAAA", timestamp: "1714037059", nonce: "486452656", signature: "899cf89e464efb63f54ddac96b0a0a235f53aa78" },
  { token: "AAAAA", timestamp: "1714112445", nonce: "415670741", signature: "6c5c811b55cc85e0e1b54100749188c20beb3f5d" },
];
const ENCRYPT =
  "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";

describe("computeSignature / verifySignature", () => {
  it.each(URL_VECTORS)("reproduces $signature", ({ token, timestamp, nonce, signature }) => {
    expect(computeSignature(token, timestamp, nonce)).toBe(signature);
    expect(verifySignature(token, timestamp, nonce, signature)).toBe(true);
    expect(verifySignature(token, timestamp, nonce, signature.toUpperCase())).toBe(true);
  });

  it("refuses wrong, missing and ill-formed signatures without throwing", () => {
    const { token, timestamp, nonce, signature } = URL_VECTORS[1]!;
    const wrong = `${signature.slice(0, 39)}${signature.endsWith("0") ? "1" : "0"}`;
    for (const candidate of [wrong, "", null, undefined, signature.slice(0, 39), `${signature}0`, `${signature}00`, "z".repeat(40), ` ${signature.slice(1)}`]) {
      expect(verifySignature(token, timestamp, nonce, candidate)).toBe(false);
    }
    expect(verifySignature(token, null, nonce, signature)).toBe(false);
    expect(verifySignature(token, timestamp, undefined, signature)).toBe(false);
    expect(verifySignature("", timestamp, nonce, computeSignature("", timestamp, nonce))).toBe(false);
    expect(verifySignature("AAAAB", timestamp, nonce, signature)).toBe(false);
  });

  it("sorts by UTF-8 bytes like WeChat's samples, not by UTF-16 units", () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in bytes, after it in UTF-16 units.
    const parts = ["\u{1F600}", "\uFF21", "1"];
    const bytes = parts.map((part) => Buffer.from(part)).sort(Buffer.compare);
    const expected = createHash("sha1").update(Buffer.concat(bytes)).digest("hex");
    expect(computeSignature(parts[0]!, parts[1]!, parts[2]!)).toBe(expected);
    expect(computeSignature(parts[0]!, parts[1]!, parts[2]!)).not.toBe(
      createHash("sha1")
        .update([...parts].sort().join(""))
        .digest("hex"),
    );
  });
});

describe("computeMsgSignature / verifyMsgSignature", () => {
  it("reproduces the official msg_signature and reply MsgSignature", () => {
    expect(computeMsgSignature("AAAAA", "1714112445", "415670741", ENCRYPT)).toBe("046e02f8204d34f8ba5fa3b1db94908f3df2e9b3");
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", ENCRYPT, "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3")).toBe(true);
    const reply = "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==";
    expect(computeMsgSignature("AAAAA", "1713424427", "415670741", reply)).toBe("1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1");
  });

  it("is not the URL signature and fails on any changed input", () => {
    const good = "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3";
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", ENCRYPT, "6c5c811b55cc85e0e1b54100749188c20beb3f5d")).toBe(false);
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", `${ENCRYPT.slice(0, -2)}A=`, good)).toBe(false);
    expect(verifyMsgSignature("AAAAA", "1714112446", "415670741", ENCRYPT, good)).toBe(false);
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", "", good)).toBe(false);
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", null, good)).toBe(false);
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", ENCRYPT, "046e02f8")).toBe(false);
    expect(verifyMsgSignature("AAAAA", "1714112445", "415670741", ENCRYPT, undefined)).toBe(false);
  });
});
