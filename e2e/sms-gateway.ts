/**
 * A stand-in for Aliyun's SMS gateway (`SendSms`, 2017-05-25) for the e2e suite: the app's real
 * Aliyun SDK sends to it over plain HTTP (ALIYUN_SMS_TEST_ENDPOINT), it answers as Aliyun does
 * for a message accepted, and the specs read what "arrived on the phone" from its inbox. The dev
 * outbox cannot serve here: it is never on in a production build.
 */
import http from "node:http";

export type Sms = { to: string; templateCode: string; params: Record<string, string>; receivedAt: number };

export type SmsGateway = { messages: Sms[]; close: () => Promise<void> };

/** The SDK puts the action's parameters in the query string or a form body; read both. */
function parametersOf(url: URL, body: string): URLSearchParams {
  const params = new URLSearchParams(url.search);
  for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
  return params;
}

export async function startSmsGateway(port: number): Promise<SmsGateway> {
  const messages: Sms[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const params = parametersOf(new URL(request.url ?? "/", "http://gateway"), Buffer.concat(chunks).toString("utf8"));
      const numbers = params.get("PhoneNumbers");
      // No keep-alive: a client reusing a socket the server is just closing gets "socket hang up".
      response.writeHead(200, { "content-type": "application/json;charset=utf-8", connection: "close" });
      if (!numbers) {
        response.end(JSON.stringify({ Code: "isv.MOBILE_NUMBER_ILLEGAL", Message: "PhoneNumbers missing", RequestId: "0" }));
        return;
      }
      let templateParams: Record<string, string> = {};
      try {
        templateParams = JSON.parse(params.get("TemplateParam") ?? "{}") as Record<string, string>;
      } catch {
        // Kept as empty: the spec then finds no code and says so.
      }
      for (const to of numbers.split(","))
        messages.push({ to, templateCode: params.get("TemplateCode") ?? "", params: templateParams, receivedAt: Date.now() });
      response.end(JSON.stringify({ Code: "OK", Message: "OK", BizId: `${Date.now()}^0`, RequestId: "E2E-SMS-GATEWAY" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "localhost", resolve));
  return {
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
