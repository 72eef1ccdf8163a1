/**
 * The only reader of `process.env`. Validated with zod once, on first use.
 *
 * With no WeChat credentials configured, the app runs against the bundled WeChat emulator
 * with its demo website apps, so the whole product works on a laptop with no WeChat account.
 */
import { BlockList, isIP } from "node:net";
import { z } from "zod";
import { DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS } from "../emulator/demo-apps";
import { readMessagingConfig, type MessagingConfig } from "./messaging/config";

// The demo apps are defined once, with the emulator that serves them; re-exported for the app's tests.
export { DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS };

const REAL_OPEN_BASE_URL = "https://open.weixin.qq.com";
const REAL_API_BASE_URL = "https://api.weixin.qq.com";
const REAL_WXLOGIN_JS_URL = "https://res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js";
const DEFAULT_EMULATOR_URL = "http://localhost:3100";
const DEV_AUTH_SECRET = "development-only-secret-do-not-use-in-production-0000";

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();
const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());
const flag = optionalString.transform((value) => value === "1" || value === "true");

const rawEnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  AUTH_SECRET: optionalString.pipe(z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional()),
  AUTH_URL: optionalUrl,
  AUTH_WECHAT_ID: optionalString.pipe(z.string().regex(/^wx[0-9a-f]{16}$/, "AUTH_WECHAT_ID looks like wx + 16 hex digits").optional()),
  AUTH_WECHAT_SECRET: optionalString,
  AUTH_WECHAT_ALT_ID: optionalString.pipe(z.string().regex(/^wx[0-9a-f]{16}$/).optional()),
  AUTH_WECHAT_ALT_SECRET: optionalString,
  WECHAT_OA_ID: optionalString.pipe(z.string().regex(/^wx[0-9a-f]{16}$/, "WECHAT_OA_ID looks like wx + 16 hex digits").optional()),
  WECHAT_OA_SECRET: optionalString,
  WECHAT_OA_TOKEN: optionalString.pipe(z.string().regex(/^[A-Za-z0-9]{3,32}$/, "WECHAT_OA_TOKEN is 3-32 letters or digits").optional()),
  WECHAT_OA_AES_KEY: optionalString.pipe(z.string().regex(/^[A-Za-z0-9]{43}$/, "WECHAT_OA_AES_KEY is 43 letters or digits").optional()),
  WECHAT_OA_ORIGINAL_ID: optionalString.pipe(z.string().regex(/^gh_[0-9a-f]{12}$/, "WECHAT_OA_ORIGINAL_ID looks like gh_ + 12 hex digits").optional()),
  WECHAT_LOGIN_QR: z.enum(["website", "official_account"]).optional(),
  WECHAT_TICKET_TTL_SECONDS: z.coerce.number().int().min(60).max(1800).default(300),
  BIND_MODE: z.enum(["off", "optional", "required"]).default("off"),
  BIND_CHANNELS: optionalString
    .pipe(z.string().regex(/^(phone|email)(,(phone|email))?$/, "BIND_CHANNELS is phone, email or phone,email").optional())
    .transform((value) => (value ?? "phone,email").split(",") as ("phone" | "email")[]),
  BIND_EMAIL_LINK: flag,
  REDIS_URL: optionalString.pipe(z.string().regex(/^rediss?:\/\//, "REDIS_URL must be a redis:// URL").optional()),
  WECHAT_OPEN_BASE_URL: optionalUrl,
  WECHAT_API_BASE_URL: optionalUrl,
  WECHAT_WXLOGIN_JS_URL: optionalUrl,
  WECHAT_EMULATOR_URL: optionalUrl,
  WECHAT_QR_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
  WECHAT_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8000),
  WECHAT_STOCK_PROVIDER: flag,
  ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: flag,
  TRUSTED_PROXIES: optionalString,
  SMS_COUNTRY_CODES: optionalString
    .pipe(z.string().regex(/^\+?\d{1,3}(,\+?\d{1,3})*$/, "SMS_COUNTRY_CODES is a list of country calling codes, e.g. 86,852").optional())
    .transform((value) => (value ?? "86").split(",").map((code) => code.replace(/^\+/, ""))),
  LIMIT_SMS_DAILY_BUDGET: z.coerce.number().int().min(0).default(1000),
  LIMIT_LOGIN_PER_IP: z.coerce.number().int().min(1).default(120),
  LIMIT_LOGIN_PER_BROWSER: z.coerce.number().int().min(1).default(30),
  LIMIT_STREAMS_PER_IP: z.coerce.number().int().min(1).default(100),
  LIMIT_STREAMS_PER_BROWSER: z.coerce.number().int().min(1).default(4),
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL").optional()),
  PGLITE_DIR: optionalString,
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  NEXT_DIST_DIR: optionalString.pipe(z.string().regex(/^\.next[\w-]*$/, "NEXT_DIST_DIR must look like .next-something").optional()),
});

export type WechatAppConfig = {
  /** Our key for the app: `web` is the primary website app, `web2` an optional second one. */
  key: "web" | "web2";
  appId: string;
  secret: string;
};

export type OfficialAccountConfig = {
  appId: string;
  secret: string;
  /** Token and EncodingAESKey of the message push (服务器配置). */
  token: string;
  encodingAesKey: string | undefined;
  /** The account's original id (原始ID, `gh_…`): pushes must carry it as ToUserName. */
  originalId: string | undefined;
};

/**
 * Which hops of X-Forwarded-For are ours. `hops: 0` (the default) trusts no header and takes the
 * socket's address; `hops: n` trusts the n proxies nearest to us; `cidrs` trusts every proxy in
 * those ranges and takes the nearest address outside them.
 */
export type TrustedProxies = { kind: "hops"; hops: number } | { kind: "cidrs"; list: BlockList; text: string };

export type Env = {
  nodeEnv: "development" | "production" | "test";
  /** Development helpers (the message outbox and its page): never in production. */
  devTools: boolean;
  authSecret: string;
  authUrl: string | undefined;
  trustedProxies: TrustedProxies;
  limits: {
    /** Country calling codes whose mobile numbers may receive a code (default 86). */
    smsCountryCodes: string[];
    smsDailyBudget: number;
    loginPerIp: number;
    loginPerBrowser: number;
    streamsPerIp: number;
    streamsPerBrowser: number;
  };
  wechat: {
    apps: WechatAppConfig[];
    openBaseUrl: string;
    apiBaseUrl: string;
    wxLoginJsUrl: string;
    /** True when the WeChat endpoints are the bundled emulator. */
    usesEmulator: boolean;
    qrTtlSeconds: number;
    httpTimeoutMs: number;
    stockProvider: boolean;
    /** The Official Account for follow-to-login and in-WeChat sign-in, if any. */
    officialAccount: OfficialAccountConfig | undefined;
    /** Which QR /login shows: WeChat's website-app QR, or our own through the Official Account. */
    loginQr: "website" | "official_account";
    ticketTtlSeconds: number;
  };
  redisUrl: string | undefined;
  /** SMS and email providers (lib/messaging). */
  messaging: MessagingConfig;
  bind: {
    /** off: no binding; optional: offered after the first sign-in and on /account; required: nothing else until bound. */
    mode: "off" | "optional" | "required";
    channels: ("phone" | "email")[];
    /** Also put a one-click link in the email. */
    emailLink: boolean;
  };
  databaseUrl: string | undefined;
  pgliteDir: string | undefined;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Build output dir; e2e builds into its own so a running `npm run dev` is untouched. */
  nextDistDir: string | undefined;
};

export class EnvError extends Error {
  override name = "EnvError";
}

/**
 * Whether a URL points at this machine, in any spelling: `localhost` with or without the root
 * dot and its subdomains, 127/8, 0.0.0.0, `::`, `::1` and IPv4-mapped forms of those.
 */
export function isLoopback(url: string): boolean {
  const hostname = new URL(url).hostname.toLowerCase().replace(/\.+$/, "").replace(/^\[|\]$/g, "");
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  const local = new BlockList();
  local.addSubnet("127.0.0.0", 8, "ipv4");
  local.addAddress("0.0.0.0", "ipv4");
  local.addAddress("::", "ipv6");
  local.addAddress("::1", "ipv6");
  local.addSubnet("::ffff:127.0.0.0", 104, "ipv6");
  local.addAddress("::ffff:0.0.0.0", "ipv6");
  const family = isIP(hostname);
  if (family === 4) return local.check(hostname, "ipv4");
  if (family === 6) return local.check(hostname, "ipv6");
  return false;
}

function parseTrustedProxies(value: string | undefined): TrustedProxies {
  if (value === undefined || /^\d+$/.test(value)) {
    const hops = Number(value ?? "0");
    if (hops > 10) throw new EnvError("TRUSTED_PROXIES: at most 10 hops");
    return { kind: "hops", hops };
  }
  const list = new BlockList();
  for (const entry of value.split(",").map((part) => part.trim())) {
    const [address = "", prefix] = entry.split("/");
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      throw new EnvError(`TRUSTED_PROXIES: "${entry}" is neither a hop count nor an IP address or CIDR range`);
    }
    list.addSubnet(address, bits, family === 4 ? "ipv4" : "ipv6");
  }
  return { kind: "cidrs", list, text: value };
}

/** Parses and checks an environment. Exported for tests; the app uses {@link getEnv}. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = rawEnvSchema.safeParse(source);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new EnvError(`Invalid environment: ${detail}`);
  }
  const raw = parsed.data;
  const isProduction = raw.NODE_ENV === "production";

  if (raw.AUTH_WECHAT_ID && !raw.AUTH_WECHAT_SECRET) throw new EnvError("AUTH_WECHAT_SECRET is required with AUTH_WECHAT_ID");
  if (raw.AUTH_WECHAT_ALT_ID && !raw.AUTH_WECHAT_ALT_SECRET) throw new EnvError("AUTH_WECHAT_ALT_SECRET is required with AUTH_WECHAT_ALT_ID");

  if (raw.WECHAT_OA_ID && (!raw.WECHAT_OA_SECRET || !raw.WECHAT_OA_TOKEN)) throw new EnvError("WECHAT_OA_SECRET and WECHAT_OA_TOKEN are required with WECHAT_OA_ID");

  const hasRealCredentials = Boolean(raw.AUTH_WECHAT_ID || raw.WECHAT_OA_ID);
  const emulatorUrl = raw.WECHAT_EMULATOR_URL ?? DEFAULT_EMULATOR_URL;
  const openBaseUrl = trimSlash(raw.WECHAT_OPEN_BASE_URL ?? (hasRealCredentials ? REAL_OPEN_BASE_URL : emulatorUrl));
  const apiBaseUrl = trimSlash(raw.WECHAT_API_BASE_URL ?? (hasRealCredentials ? REAL_API_BASE_URL : emulatorUrl));
  const wxLoginJsUrl =
    raw.WECHAT_WXLOGIN_JS_URL ??
    (openBaseUrl === REAL_OPEN_BASE_URL ? REAL_WXLOGIN_JS_URL : `${openBaseUrl}/connect/zh_CN/htmledition/js/wxLogin.js`);

  const apps: WechatAppConfig[] = hasRealCredentials
    ? raw.AUTH_WECHAT_ID
      ? [{ key: "web", appId: raw.AUTH_WECHAT_ID, secret: raw.AUTH_WECHAT_SECRET! }]
      : []
    : [{ key: "web", ...DEMO_WECHAT_APPS.web }, { key: "web2", ...DEMO_WECHAT_APPS.web2 }];
  if (raw.AUTH_WECHAT_ALT_ID) apps.splice(1, 1, { key: "web2", appId: raw.AUTH_WECHAT_ALT_ID, secret: raw.AUTH_WECHAT_ALT_SECRET! });

  const officialAccount: OfficialAccountConfig | undefined = raw.WECHAT_OA_ID
    ? { appId: raw.WECHAT_OA_ID, secret: raw.WECHAT_OA_SECRET!, token: raw.WECHAT_OA_TOKEN!, encodingAesKey: raw.WECHAT_OA_AES_KEY, originalId: raw.WECHAT_OA_ORIGINAL_ID }
    : hasRealCredentials
      ? undefined
      : { ...DEMO_OFFICIAL_ACCOUNT };
  if (apps.length === 0 && !officialAccount) throw new EnvError("Configure a website app (AUTH_WECHAT_ID) or an Official Account (WECHAT_OA_ID)");
  // Our own QR is the fallback when there is no website app.
  const loginQr = raw.WECHAT_LOGIN_QR ?? (apps.length === 0 ? "official_account" : "website");
  if (loginQr === "official_account" && !officialAccount) throw new EnvError("WECHAT_LOGIN_QR=official_account needs WECHAT_OA_ID");
  if (loginQr === "website" && apps.length === 0) throw new EnvError("WECHAT_LOGIN_QR=website needs AUTH_WECHAT_ID");

  const demoSecrets: string[] = [DEMO_WECHAT_APPS.web.secret, DEMO_WECHAT_APPS.web2.secret, DEMO_OFFICIAL_ACCOUNT.secret];
  const isDemo = [...apps.map((app) => app.secret), officialAccount?.secret].some((secret) => secret !== undefined && demoSecrets.includes(secret));
  const usesEmulator = isDemo || !openBaseUrl.startsWith("https://") || isLoopback(openBaseUrl) || isLoopback(apiBaseUrl);
  if (isProduction && usesEmulator && !raw.ALLOW_WECHAT_EMULATOR_IN_PRODUCTION) {
    throw new EnvError(
      "Refusing to start in production against the WeChat emulator or demo credentials: set AUTH_WECHAT_ID / AUTH_WECHAT_SECRET " +
        "(and leave WECHAT_OPEN_BASE_URL / WECHAT_API_BASE_URL unset). Tests and benchmarks of a production build set ALLOW_WECHAT_EMULATOR_IN_PRODUCTION=1.",
    );
  }
  // Without a configured public URL the only source of our origin is the request's own headers,
  // which a client chooses: redirect_uri, emailed links and confirm links would follow them.
  if (isProduction && !raw.AUTH_URL) throw new EnvError("AUTH_URL is required in production (https://your.site)");
  if (isProduction && !raw.AUTH_SECRET) throw new EnvError("AUTH_SECRET is required in production (openssl rand -base64 33)");

  const messaging = readMessagingConfig(source);
  // Never in production, not even a production build on the emulator: /dev/outbox would show
  // every code to anyone who finds the page.
  const devTools = !isProduction;
  if (raw.BIND_MODE !== "off") {
    // A site that asks for a phone or email must be able to send the code, and never from the dev outbox in production.
    for (const channel of raw.BIND_CHANNELS) {
      const provider = channel === "phone" ? messaging.sms?.provider : messaging.email?.provider;
      const variable = channel === "phone" ? "SMS_PROVIDER" : "EMAIL_PROVIDER";
      if (!provider) throw new EnvError(`${variable} is required when BIND_MODE=${raw.BIND_MODE} offers ${channel}`);
      if (provider === "outbox" && !devTools) throw new EnvError(`${variable}=outbox is for development only`);
    }
  }

  return {
    nodeEnv: raw.NODE_ENV,
    devTools,
    messaging,
    authSecret: raw.AUTH_SECRET ?? DEV_AUTH_SECRET,
    authUrl: raw.AUTH_URL,
    trustedProxies: parseTrustedProxies(raw.TRUSTED_PROXIES),
    limits: {
      smsCountryCodes: [...new Set(raw.SMS_COUNTRY_CODES)],
      smsDailyBudget: raw.LIMIT_SMS_DAILY_BUDGET,
      loginPerIp: raw.LIMIT_LOGIN_PER_IP,
      loginPerBrowser: raw.LIMIT_LOGIN_PER_BROWSER,
      streamsPerIp: raw.LIMIT_STREAMS_PER_IP,
      streamsPerBrowser: raw.LIMIT_STREAMS_PER_BROWSER,
    },
    wechat: {
      apps,
      openBaseUrl,
      apiBaseUrl,
      wxLoginJsUrl,
      usesEmulator,
      qrTtlSeconds: raw.WECHAT_QR_TTL_SECONDS,
      httpTimeoutMs: raw.WECHAT_HTTP_TIMEOUT_MS,
      stockProvider: raw.WECHAT_STOCK_PROVIDER,
      officialAccount,
      loginQr,
      ticketTtlSeconds: raw.WECHAT_TICKET_TTL_SECONDS,
    },
    redisUrl: raw.REDIS_URL,
    bind: { mode: raw.BIND_MODE, channels: [...new Set(raw.BIND_CHANNELS)], emailLink: raw.BIND_EMAIL_LINK },
    databaseUrl: raw.DATABASE_URL,
    pgliteDir: raw.PGLITE_DIR,
    logLevel: raw.LOG_LEVEL,
    nextDistDir: raw.NEXT_DIST_DIR,
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

let cached: Env | undefined;

/** The validated environment of this process. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Re-reads process.env on next use (tests that switch databases or WeChat endpoints). */
export function reloadEnv(): void {
  cached = undefined;
}
