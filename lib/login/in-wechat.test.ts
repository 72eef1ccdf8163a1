/**
 * Sign-in inside WeChat's browser through the Official Account's web authorization, against the
 * emulator over real HTTP (which opens an authorize link only in WeChat's parameter order):
 * `snsapi_base` signs a known person in silently and escalates for anyone else; `snsapi_userinfo`
 * asks consent and reads the profile. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OA_APP, openidFor, unionidFor, WEB_APP } from "@/emulator/config";
import { WECHAT_UA } from "@/emulator/test-helpers";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { signInWithWechat } from "@/lib/db/sign-ins";
import { AppError } from "@/lib/errors";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withEnv } from "@/lib/test/env";
import { beginInWechatLogin, inWechatConsentSurface, inWechatSilentSurface, type OfficialAccountScope } from "./in-wechat";
import { completeOAuthCallback, type CallbackOutcome } from "./oauth-callback";

const ORIGIN = "http://localhost:3995";
const emulator = useTestEmulator({ callbackDomain: "localhost:3995" });

/**
 * Opens `authorizeUrl` in WeChat's browser as `user`. WeChat either navigates on to our callback
 * at once (silent scope, or consent given before) or shows its consent sheet, where the person
 * taps 允许.
 */
async function openInWechat(authorizeUrl: string, user: string): Promise<{ callback: URL; askedConsent: boolean }> {
  const response = await fetch(authorizeUrl, { redirect: "manual", headers: { "user-agent": WECHAT_UA, cookie: `wx_user=${user}` } });
  const html = await response.text();
  const scripted = /location\.replace\(("[^"]*")\)/.exec(html)?.[1];
  if (scripted) return { callback: new URL(JSON.parse(scripted) as string), askedConsent: false };
  const consentId = /name="id" value="([^"]+)"/.exec(html)?.[1];
  if (!consentId) throw new Error(`WeChat showed neither a redirect nor its consent sheet: ${html.slice(0, 300)}`);
  const allowed = await fetch(`${emulator.url}/connect/oauth2/consent`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": WECHAT_UA },
    body: new URLSearchParams({ id: consentId, action: "allow" }),
  });
  return { callback: new URL(allowed.headers.get("location")!), askedConsent: true };
}

/** One browser's whole round: begin with `scope`, authorize in WeChat as `user`, land on our callback. */
async function signInInWechat(
  scope: OfficialAccountScope,
  user: string,
  binding = randomToken(32),
): Promise<{ outcome: CallbackOutcome; askedConsent: boolean }> {
  const { authorizeUrl } = await beginInWechatLogin({ scope, returnTo: "/account", bindingHash: sha256(binding), ip: null, origin: ORIGIN });
  const { callback, askedConsent } = await openInWechat(authorizeUrl, user);
  expect(`${callback.origin}${callback.pathname}`).toBe(`${ORIGIN}/api/wechat/callback`);
  const outcome = await completeOAuthCallback({
    code: callback.searchParams.get("code") ?? undefined,
    state: callback.searchParams.get("state") ?? undefined,
    bindingHash: sha256(binding),
    currentUserId: async () => undefined,
    browser: { userAgent: WECHAT_UA, ip: "127.0.0.1" },
  });
  return { outcome, askedConsent };
}

async function userOfSession(outcome: CallbackOutcome) {
  if (outcome.kind !== "signed_in" || !outcome.session) throw new Error(`not signed in: ${JSON.stringify(outcome)}`);
  const prisma = await db();
  return (
    await prisma.session.findUniqueOrThrow({ where: { sessionToken: outcome.session.token }, include: { user: { include: { wechatIdentities: true } } } })
  ).user;
}

describe.each(testDatabases())("sign-in inside WeChat on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  afterEach(() => emulator.reset());

  it("builds the authorize URL in the order WeChat checks, ending with #wechat_redirect, and WeChat opens it", async () => {
    const binding = randomToken(32);
    const { authorizeUrl } = await beginInWechatLogin({
      scope: "snsapi_base",
      returnTo: "/account?tab=sessions",
      bindingHash: sha256(binding),
      ip: null,
      origin: ORIGIN,
    });
    expect(authorizeUrl.startsWith(`${emulator.url}/connect/oauth2/authorize?`)).toBe(true);
    expect(authorizeUrl.endsWith("#wechat_redirect")).toBe(true);
    const url = new URL(authorizeUrl);
    expect([...url.searchParams.keys()]).toEqual(["appid", "redirect_uri", "response_type", "scope", "state"]);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      appid: OA_APP.appid,
      redirect_uri: `${ORIGIN}/api/wechat/callback`,
      response_type: "code",
      scope: "snsapi_base",
    });
    const state = url.searchParams.get("state")!;
    expect(state).toMatch(/^[A-Za-z0-9]{32}$/);
    const row = await (await db()).wechatLoginState.findUniqueOrThrow({ where: { id: sha256(state) } });
    expect(row).toMatchObject({ bindingHash: sha256(binding), appId: OA_APP.appid, mode: "oa_base", returnTo: "/account?tab=sessions" });

    const { callback } = await openInWechat(authorizeUrl, "chen");
    expect(callback.searchParams.get("state")).toBe(state);
    expect(callback.searchParams.get("code")).toMatch(/^[A-Za-z0-9]+$/);
  });

  it("escalates snsapi_base to snsapi_userinfo for a person it does not know, signing no one in", async () => {
    const prisma = await db();
    const before = { users: await prisma.user.count(), sessions: await prisma.session.count() };
    const { outcome, askedConsent } = await signInInWechat("snsapi_base", "wang");
    expect(askedConsent).toBe(false);
    expect(outcome).toEqual({ kind: "escalate", scope: "snsapi_userinfo", returnTo: "/account" });
    expect({ users: await prisma.user.count(), sessions: await prisma.session.count() }).toEqual(before);
    expect(await prisma.wechatIdentity.count({ where: { appId: OA_APP.appid, openid: openidFor(OA_APP.appid, "wang") } })).toBe(0);
    expect(await prisma.wechatLoginState.count({ where: { appId: OA_APP.appid, outcome: "escalated" } })).toBe(1);
    // The silent scope's token reads no profile (WeChat would answer 48001).
    expect((await emulator.stats())["sns/userinfo"] ?? 0).toBe(0);
  });

  it("signs the new person in with their profile after consent, then silently with snsapi_base", async () => {
    const consented = await signInInWechat("snsapi_userinfo", "lin");
    expect(consented.askedConsent).toBe(true);
    expect(consented.outcome).toMatchObject({ kind: "signed_in", returnTo: "/account" });
    const user = await userOfSession(consented.outcome);
    expect(user.name).toBe("林晓");
    expect(user.unionid).toBe(unionidFor("demo", "lin"));
    expect(user.wechatIdentities.map((row) => [row.appId, row.openid])).toEqual([[OA_APP.appid, openidFor(OA_APP.appid, "lin")]]);

    const userinfoCalls = (await emulator.stats())["sns/userinfo"];
    const silent = await signInInWechat("snsapi_base", "lin");
    expect(silent.askedConsent).toBe(false);
    expect(silent.outcome).toMatchObject({ kind: "signed_in", returnTo: "/account" });
    expect((await userOfSession(silent.outcome)).id).toBe(user.id);
    expect((await emulator.stats())["sns/userinfo"]).toBe(userinfoCalls);
    const history = await (await db()).signInEvent.findMany({ where: { userId: user.id } });
    expect(history.map((row) => row.method)).toEqual(["wechat:in-app", "wechat:in-app"]);
  });

  it("meets a person first seen on the website in the same user, by unionid, once they consent", async () => {
    const website = await signInWithWechat(
      { appId: WEB_APP.appid, openid: openidFor(WEB_APP.appid, "zhang"), unionid: unionidFor("demo", "zhang"), nickname: "张伟" },
      { userAgent: null, ip: null, method: "wechat:website", maxAgeSeconds: 3600 },
    );
    // The Official Account's openid is another one: the silent scope does not know this person yet.
    expect((await signInInWechat("snsapi_base", "zhang")).outcome).toMatchObject({ kind: "escalate" });
    const consented = await signInInWechat("snsapi_userinfo", "zhang");
    const user = await userOfSession(consented.outcome);
    expect(user.id).toBe(website.userId);
    expect(user.wechatIdentities.map((row) => row.appId).sort()).toEqual([OA_APP.appid, WEB_APP.appid].sort());
  });

  it("answers only for the Official Account, and refuses to begin on a site without one", async () => {
    expect(inWechatSilentSurface.credentials(OA_APP.appid)).toMatchObject({ appId: OA_APP.appid, secret: OA_APP.secret });
    expect(inWechatSilentSurface.credentials(WEB_APP.appid)).toBeUndefined();
    expect(inWechatConsentSurface.method).toBe("wechat:in-app");
    withEnv({ AUTH_WECHAT_ID: "wx0123456789abcdef", AUTH_WECHAT_SECRET: "s".repeat(32) });
    try {
      const begin = beginInWechatLogin({ scope: "snsapi_base", bindingHash: sha256(randomToken(32)), ip: null, origin: ORIGIN });
      await expect(begin).rejects.toBeInstanceOf(AppError);
      await expect(begin).rejects.toMatchObject({ code: "unknown_app" });
    } finally {
      withEnv({ AUTH_WECHAT_ID: undefined, AUTH_WECHAT_SECRET: undefined });
    }
  });
});
