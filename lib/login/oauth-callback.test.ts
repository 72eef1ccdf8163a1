/**
 * The website login flow against the emulator over real HTTP, on the embedded database and,
 * with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openidFor, unionidFor, WEB_APP } from "@/emulator/config";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { completeOAuthCallback, type CallbackInput } from "./oauth-callback";
import { beginWebsiteLogin } from "./website-qr";

const ORIGIN = "http://localhost:3999";
const emulator = useTestEmulator({ callbackDomain: "localhost:3999", env: { WECHAT_HTTP_TIMEOUT_MS: "1000" } });

/** Starts a login in one "browser" and has the phone confirm it; returns the callback's inputs. */
async function scanAndConfirm(user: string, options: { appKey?: "web" | "web2"; binding?: string } = {}) {
  const binding = options.binding ?? randomToken(32);
  const begin = await beginWebsiteLogin({ appKey: options.appKey ?? "web", form: "redirect", bindingHash: sha256(binding), ip: null, origin: ORIGIN });
  const session = await emulator.scanWebsiteQr(begin.qrconnectUrl, user);
  const redirect = new URL(session.redirect);
  expect(`${redirect.origin}${redirect.pathname}`).toBe(begin.redirectUri);
  expect(redirect.searchParams.get("state")).toBe(begin.state);
  const input: CallbackInput = {
    code: session.code,
    state: begin.state,
    bindingHash: sha256(binding),
    currentUserId: async () => undefined,
    browser: { userAgent: "vitest", ip: "127.0.0.1" },
  };
  return { begin, input };
}

describe.each(testDatabases())("website login on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  afterEach(() => emulator.reset());

  it("signs a confirmed user in with an Auth.js session and the WeChat identity", async () => {
    const { input } = await scanAndConfirm("lin");
    const outcome = await completeOAuthCallback(input);
    expect(outcome).toMatchObject({ kind: "signed_in", returnTo: "/account" });
    if (outcome.kind !== "signed_in") return;
    const prisma = await db();
    const session = await prisma.session.findUniqueOrThrow({
      where: { sessionToken: outcome.session!.token },
      include: { user: { include: { wechatIdentities: true } } },
    });
    expect(session.user.name).toBe("林晓");
    expect(session.user.unionid).toBe(unionidFor("demo", "lin"));
    expect(session.user.wechatIdentities.map((row) => [row.appId, row.openid])).toEqual([[WEB_APP.appid, openidFor(WEB_APP.appid, "lin")]]);
  });

  it("refuses a state from another browser without spending it", async () => {
    const { input } = await scanAndConfirm("zhang");
    const prisma = await db();
    const sessionsBefore = await prisma.session.count();
    expect(await completeOAuthCallback({ ...input, bindingHash: sha256(randomToken(32)) })).toEqual({ kind: "error", code: "state_wrong_browser" });
    expect(await completeOAuthCallback({ ...input, bindingHash: undefined })).toEqual({ kind: "error", code: "state_wrong_browser" });
    expect(await prisma.session.count()).toBe(sessionsBefore);
    expect(await completeOAuthCallback(input)).toMatchObject({ kind: "signed_in" });
  });

  it("spends a code once when two callbacks race, and signs both in", async () => {
    const { input } = await scanAndConfirm("zhang");
    const outcomes = await Promise.all([completeOAuthCallback(input), completeOAuthCallback(input)]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(["signed_in", "signed_in"]);
    // The emulator saw one exchange: a second one would have been 40163 and an error outcome.
    const prisma = await db();
    const userIds = await Promise.all(
      outcomes.map(async (outcome) =>
        outcome.kind === "signed_in" && outcome.session
          ? (await prisma.session.findUniqueOrThrow({ where: { sessionToken: outcome.session.token } })).userId
          : undefined,
      ),
    );
    expect(userIds[0]).toBeDefined();
    expect(userIds[1]).toBe(userIds[0]);
  });

  it("keeps the identity of an errcode and writes nothing on failure", async () => {
    const prisma = await db();
    const before = { users: await prisma.user.count(), identities: await prisma.wechatIdentity.count(), sessions: await prisma.session.count() };
    await emulator.control("faults", { endpoint: "sns/userinfo", errcode: 48001 });
    const { input } = await scanAndConfirm("li", { appKey: "web2" });
    expect(await completeOAuthCallback(input)).toEqual({ kind: "error", code: "48001", returnTo: "/account", attemptId: expect.any(String) });
    expect({ users: await prisma.user.count(), identities: await prisma.wechatIdentity.count(), sessions: await prisma.session.count() }).toEqual(before);
    // A repeat of the failed callback reports the same failure, not a generic one.
    expect(await completeOAuthCallback(input)).toMatchObject({ kind: "error", code: "48001" });
  });

  it("reports a WeChat timeout as such", async () => {
    await emulator.control("faults", { endpoint: "sns/oauth2/access_token", timeout: true });
    const { input } = await scanAndConfirm("lin");
    expect(await completeOAuthCallback(input)).toMatchObject({ kind: "error", code: "timeout" });
  });

  it("treats a refusal (state only, no code) as a cancel", async () => {
    const binding = randomToken(32);
    const begin = await beginWebsiteLogin({ form: "embedded", bindingHash: sha256(binding), ip: null, origin: ORIGIN });
    expect(
      await completeOAuthCallback({
        code: undefined,
        state: begin.state,
        bindingHash: sha256(binding),
        currentUserId: async () => undefined,
        browser: { userAgent: null, ip: null },
      }),
    ).toMatchObject({ kind: "error", code: "cancelled" });
  });

  it("does not let a used code sign in a browser that is already signed in as someone else", async () => {
    const first = await scanAndConfirm("lin");
    const signedIn = await completeOAuthCallback(first.input);
    expect(signedIn.kind).toBe("signed_in");
    const prisma = await db();
    const other = await prisma.user.create({ data: { name: "someone else" } });
    const outcome = await completeOAuthCallback({ ...first.input, currentUserId: async () => other.id });
    // Already signed in: sent on, but no session is opened for the code's owner in this browser.
    expect(outcome).toEqual({ kind: "signed_in", returnTo: "/account" });
  });
});
