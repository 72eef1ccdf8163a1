/**
 * The only reader of `process.env`: one zod schema for every variable the app reads, parsed once,
 * on first use. The configuration's types are inferred from the schema's output.
 *
 * With no WeChat credentials configured, the app runs against the bundled WeChat emulator
 * with its demo apps, so the whole product works on a laptop with no WeChat account.
 *
 * Only zod and plain constants here, no `server-only` and no SDK: next.config.ts imports this module.
 */
import { BlockList, isIP } from "node:net";
import { z } from "zod";
import { DEMO_MINI_PROGRAMS, DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS } from "./demo-apps";

// The demo apps are defined once, with the emulator that serves them; re-exported for the app's tests.
export { DEMO_MINI_PROGRAMS, DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS };

const REAL_OPEN_BASE_URL = "https://open.weixin.qq.com";
const REAL_API_BASE_URL = "https://api.weixin.qq.com";
const REAL_WXLOGIN_JS_URL = "https://res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js";
const DEFAULT_EMULATOR_URL = "http://localhost:3100";
const DEV_AUTH_SECRET = "development-only-secret-do-not-use-in-production-0000";
const TENCENT_DEFAULT_REGION = "ap-guangzhou";

// An exported-but-empty variable (FOO=) means "not set", as in most .env tooling.
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();
const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());
const flag = optionalString.transform((value) => value === "1" || value === "true");

function optionalMatching(pattern: RegExp, message: string) {
  return optionalString.pipe(z.string().regex(pattern, message).optional());
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return optionalString.pipe(z.enum(values).optional());
}

function wholeNumber({ min, max = Number.MAX_SAFE_INTEGER, fallback }: { min: number; max?: number; fallback: number }) {
  return optionalString.pipe(z.coerce.number<string>().int().min(min).max(max).default(fallback));
}

/** The OTLP protocols the trace exporter speaks (gRPC needs a native client this app does not ship). */
const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;

/**
 * OTEL_EXPORTER_OTLP_HEADERS: `key=value` pairs separated by commas, values percent-encoded (the
 * OpenTelemetry specification's format). They often hold an API key, so errors never echo them.
 */
const otlpHeaders = optionalString.transform((value, context) => {
  if (value === undefined) return undefined;
  const headers: Record<string, string> = {};
  for (const pair of value.split(",")) {
    const separator = pair.indexOf("=");
    const key = pair.slice(0, separator).trim();
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(pair.slice(separator + 1).trim());
    } catch {
      decoded = undefined;
    }
    if (separator <= 0 || !/^[!#$%&'*+.^`|~\w-]+$/.test(key) || decoded === undefined) {
      context.addIssue({ code: "custom", message: "expected key=value pairs separated by commas, values percent-encoded" });
      return z.NEVER;
    }
    headers[key.toLowerCase()] = decoded;
  }
  return headers;
});

/** TRUSTED_PROXIES: a hop count, or a list of addresses and CIDR ranges. */
function parseTrustedProxies(value: string | undefined, reject: (message: string) => void) {
  if (value === undefined || /^\d+$/.test(value)) {
    const hops = Number(value ?? "0");
    if (hops > 10) reject("at most 10 hops");
    return { kind: "hops" as const, hops };
  }
  const list = new BlockList();
  for (const entry of value.split(",").map((part) => part.trim())) {
    const [address = "", prefix] = entry.split("/");
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
      reject(`"${entry}" is neither a hop count nor an IP address or CIDR range`);
      continue;
    }
    list.addSubnet(address, bits, family === 4 ? "ipv4" : "ipv6");
  }
  return { kind: "cidrs" as const, list, text: value };
}

const appIdSchema = z.string().regex(/^wx[0-9a-f]{16}$/, "an appid is wx + 16 hex digits");
const appKeySchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "a key is a lowercase letter, then up to 31 lowercase letters, digits or -");
const envVersionSchema = z.enum(["release", "trial", "develop"]);
/** A mini-program page path as WeChat wants it: no leading slash, no query (docs/wechat-protocol.md §H2.1). */
const pagePathSchema = z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, "a page path such as pages/login/login, without a leading / or a query");

/** One app of WECHAT_APPS. */
const appEntrySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("website"), key: appKeySchema, appId: appIdSchema, secret: z.string().min(1) }).strict(),
  z
    .object({
      kind: z.literal("official_account"),
      key: appKeySchema,
      appId: appIdSchema,
      secret: z.string().min(1),
      token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, "token is 3-32 letters or digits"),
      encodingAesKey: z
        .string()
        .regex(/^[A-Za-z0-9]{43}$/, "encodingAesKey is 43 letters or digits")
        .optional(),
      originalId: z
        .string()
        .regex(/^gh_[0-9a-f]{12}$/, "originalId looks like gh_ + 12 hex digits")
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("mini_program"),
      key: appKeySchema,
      appId: appIdSchema,
      secret: z.string().min(1),
      page: pagePathSchema.optional(),
      envVersion: envVersionSchema.optional(),
      checkPath: z.boolean().optional(),
      phoneNumber: z.boolean().optional(),
    })
    .strict(),
]);
type AppEntry = z.output<typeof appEntrySchema>;

const SURFACES = ["website", "mini_program", "official_account"] as const;
export type LoginSurface = (typeof SURFACES)[number];

/** Every variable the app reads, as the environment spells it. .env.example and the README list exactly these. */
export const envVariablesSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  AUTH_SECRET: optionalString.pipe(z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional()),
  AUTH_URL: optionalUrl,
  TRUSTED_PROXIES: optionalString.transform((value, context) => parseTrustedProxies(value, (message) => context.addIssue({ code: "custom", message }))),

  AUTH_WECHAT_ID: optionalMatching(/^wx[0-9a-f]{16}$/, "AUTH_WECHAT_ID looks like wx + 16 hex digits"),
  AUTH_WECHAT_SECRET: optionalString,
  AUTH_WECHAT_ALT_ID: optionalMatching(/^wx[0-9a-f]{16}$/, "AUTH_WECHAT_ALT_ID looks like wx + 16 hex digits"),
  AUTH_WECHAT_ALT_SECRET: optionalString,
  WECHAT_OA_ID: optionalMatching(/^wx[0-9a-f]{16}$/, "WECHAT_OA_ID looks like wx + 16 hex digits"),
  WECHAT_OA_SECRET: optionalString,
  WECHAT_OA_TOKEN: optionalMatching(/^[A-Za-z0-9]{3,32}$/, "WECHAT_OA_TOKEN is 3-32 letters or digits"),
  WECHAT_OA_AES_KEY: optionalMatching(/^[A-Za-z0-9]{43}$/, "WECHAT_OA_AES_KEY is 43 letters or digits"),
  WECHAT_OA_ORIGINAL_ID: optionalMatching(/^gh_[0-9a-f]{12}$/, "WECHAT_OA_ORIGINAL_ID looks like gh_ + 12 hex digits"),
  WECHAT_MP_ID: optionalMatching(/^wx[0-9a-f]{16}$/, "WECHAT_MP_ID looks like wx + 16 hex digits"),
  WECHAT_MP_SECRET: optionalString,
  WECHAT_MP_ENV_VERSION: oneOf(["release", "trial", "develop"]),
  WECHAT_MP_PHONE: optionalString.pipe(z.enum(["true", "false", "1", "0"], "WECHAT_MP_PHONE is true or false").optional()),
  /** Any number of apps as JSON: [{"kind":"website"|"official_account"|"mini_program","key":…,"appId":…,"secret":…}, …]. */
  WECHAT_APPS: optionalString.transform((value, context) => {
    if (value === undefined) return [];
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      context.addIssue({ code: "custom", message: "WECHAT_APPS is not JSON: a list of apps" });
      return z.NEVER;
    }
    const parsed = z.array(appEntrySchema).max(50).safeParse(json);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ code: "custom", message: `WECHAT_APPS[${issue.path.join(".")}]: ${issue.message}` });
      return z.NEVER;
    }
    return parsed.data;
  }),
  WECHAT_LOGIN_SURFACES: optionalMatching(
    /^(website|mini_program|official_account)(,(website|mini_program|official_account)){0,2}$/,
    "WECHAT_LOGIN_SURFACES lists website, mini_program, official_account in the order /login offers them",
  ).transform((value) => (value === undefined ? undefined : ([...new Set(value.split(","))] as LoginSurface[]))),
  WECHAT_TICKET_TTL_SECONDS: wholeNumber({ min: 60, max: 1800, fallback: 300 }),
  REDIS_URL: optionalMatching(/^rediss?:\/\//, "REDIS_URL must be a redis:// URL"),

  BIND_MODE: oneOf(["off", "optional", "required"]).transform((value) => value ?? "off"),
  BIND_CHANNELS: optionalMatching(/^(phone|email)(,(phone|email))?$/, "BIND_CHANNELS is phone, email or phone,email").transform(
    (value) => (value ?? "phone,email").split(",") as ("phone" | "email")[],
  ),
  BIND_EMAIL_LINK: flag,
  SMS_COUNTRY_CODES: optionalMatching(/^\+?\d{1,3}(,\+?\d{1,3})*$/, "SMS_COUNTRY_CODES is a list of country calling codes, e.g. 86,852").transform((value) =>
    (value ?? "86").split(",").map((code) => code.replace(/^\+/, "")),
  ),
  LIMIT_SMS_DAILY_BUDGET: wholeNumber({ min: 0, fallback: 1000 }),
  LIMIT_LOGIN_PER_IP: wholeNumber({ min: 1, fallback: 120 }),
  LIMIT_LOGIN_PER_BROWSER: wholeNumber({ min: 1, fallback: 30 }),
  LIMIT_STREAMS_PER_IP: wholeNumber({ min: 1, fallback: 100 }),
  LIMIT_STREAMS_PER_BROWSER: wholeNumber({ min: 1, fallback: 4 }),

  SMS_PROVIDER: optionalString.pipe(z.enum(["outbox", "tencent", "aliyun"], "SMS_PROVIDER is outbox, tencent or aliyun").optional()),
  TENCENT_SMS_SECRET_ID: optionalString,
  TENCENT_SMS_SECRET_KEY: optionalString,
  TENCENT_SMS_REGION: optionalMatching(/^[a-z]{2,}-[a-z]+(-\d+)?$/, "TENCENT_SMS_REGION looks like ap-guangzhou"),
  TENCENT_SMS_SDK_APP_ID: optionalMatching(/^\d{6,12}$/, "TENCENT_SMS_SDK_APP_ID is the digits of the SdkAppId, e.g. 1400006666"),
  TENCENT_SMS_SIGN_NAME: optionalString,
  TENCENT_SMS_TEMPLATE_ID: optionalMatching(/^\d{1,12}$/, "TENCENT_SMS_TEMPLATE_ID is the digits of the template ID"),
  TENCENT_SMS_NOTICE_TEMPLATE_ID: optionalMatching(/^\d{1,12}$/, "TENCENT_SMS_NOTICE_TEMPLATE_ID is the digits of the template ID"),
  ALIYUN_SMS_ACCESS_KEY_ID: optionalString,
  ALIYUN_SMS_ACCESS_KEY_SECRET: optionalString,
  ALIYUN_SMS_SIGN_NAME: optionalString,
  ALIYUN_SMS_TEMPLATE_CODE: optionalMatching(/^[A-Za-z0-9_]{3,64}$/, "ALIYUN_SMS_TEMPLATE_CODE looks like SMS_123456789"),
  ALIYUN_SMS_NOTICE_TEMPLATE_CODE: optionalMatching(/^[A-Za-z0-9_]{3,64}$/, "ALIYUN_SMS_NOTICE_TEMPLATE_CODE looks like SMS_123456789"),
  ALIYUN_SMS_TEST_ENDPOINT: optionalMatching(/^localhost:\d{2,5}$/, "ALIYUN_SMS_TEST_ENDPOINT is localhost:<port> (a test gateway)"),
  EMAIL_PROVIDER: optionalString.pipe(z.enum(["outbox", "smtp"], "EMAIL_PROVIDER is outbox or smtp").optional()),
  SMTP_HOST: optionalMatching(/^[A-Za-z0-9.:[\]-]+$/, "SMTP_HOST is a host name or an IP address"),
  SMTP_PORT: optionalString.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, "SMTP_PORT is a port number")
      .transform(Number)
      .pipe(z.number().min(1, "SMTP_PORT is 1-65535").max(65_535, "SMTP_PORT is 1-65535"))
      .optional(),
  ),
  // Strict, so that a typo such as `ture` does not quietly mean plain text.
  SMTP_SECURE: optionalString.pipe(z.enum(["true", "false", "1", "0"], "SMTP_SECURE is true or false").optional()),
  SMTP_USER: optionalString,
  // Not trimmed: a password may begin or end with a space.
  SMTP_PASS: z
    .string()
    .optional()
    .transform((value) => (value === "" ? undefined : value)),
  EMAIL_FROM: optionalMatching(
    /^(?:[^<>@\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/,
    "EMAIL_FROM is an address, or a name and an address: Name <no-reply@example.com>",
  ),

  WECHAT_OPEN_BASE_URL: optionalUrl,
  WECHAT_API_BASE_URL: optionalUrl,
  WECHAT_WXLOGIN_JS_URL: optionalUrl,
  WECHAT_EMULATOR_URL: optionalUrl,
  WECHAT_QR_TTL_SECONDS: wholeNumber({ min: 30, max: 3600, fallback: 300 }),
  WECHAT_HTTP_TIMEOUT_MS: wholeNumber({ min: 100, max: 60_000, fallback: 8000 }),

  DATABASE_URL: optionalMatching(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL"),
  PGLITE_DIR: optionalString,

  ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: flag,
  WECHAT_STOCK_PROVIDER: flag,
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"]).transform((value) => value ?? "info"),

  METRICS_TOKEN: optionalMatching(/^\S{24,}$/, "METRICS_TOKEN must be at least 24 characters without spaces"),
  OTEL_SERVICE_NAME: optionalString,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf(OTLP_PROTOCOLS),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: oneOf(OTLP_PROTOCOLS),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: otlpHeaders,
  /** Set by Vercel in its functions: they may freeze once the response is sent, so spans are flushed before. */
  VERCEL: flag,
  ATTEMPT_RETENTION_DAYS: wholeNumber({ min: 1, max: 3650, fallback: 30 }),
  AUDIT_RETENTION_DAYS: wholeNumber({ min: 1, max: 3650, fallback: 365 }),
  NEXT_DIST_DIR: optionalMatching(/^\.next[\w-]*$/, "NEXT_DIST_DIR must look like .next-something"),
});

type EnvVariables = z.output<typeof envVariablesSchema>;
type EnvVariable = keyof EnvVariables;
/** Reports a variable at fault. Messages name variables and never echo a value: some are secrets. */
type Report = (variable: EnvVariable | undefined, message: string) => void;

/** Without WeChat credentials, the emulator's demo apps stand in for all of them. */
function withDemoApps(raw: EnvVariables): EnvVariables {
  return {
    ...raw,
    AUTH_WECHAT_ID: DEMO_WECHAT_APPS.web.appId,
    AUTH_WECHAT_SECRET: DEMO_WECHAT_APPS.web.secret,
    AUTH_WECHAT_ALT_ID: raw.AUTH_WECHAT_ALT_ID ?? DEMO_WECHAT_APPS.web2.appId,
    AUTH_WECHAT_ALT_SECRET: raw.AUTH_WECHAT_ALT_ID ? raw.AUTH_WECHAT_ALT_SECRET : DEMO_WECHAT_APPS.web2.secret,
    WECHAT_OA_ID: DEMO_OFFICIAL_ACCOUNT.appId,
    WECHAT_OA_SECRET: DEMO_OFFICIAL_ACCOUNT.secret,
    WECHAT_OA_TOKEN: DEMO_OFFICIAL_ACCOUNT.token,
    WECHAT_OA_AES_KEY: DEMO_OFFICIAL_ACCOUNT.encodingAesKey,
    WECHAT_OA_ORIGINAL_ID: DEMO_OFFICIAL_ACCOUNT.originalId,
    WECHAT_MP_ID: DEMO_MINI_PROGRAMS.mp.appId,
    WECHAT_MP_SECRET: DEMO_MINI_PROGRAMS.mp.secret,
    // The emulator's other demo mini programs, chosen on /login with ?mp=<key> (tests and demos).
    WECHAT_APPS: [
      ...raw.WECHAT_APPS,
      { kind: "mini_program", key: "mp-solo", appId: DEMO_MINI_PROGRAMS.mpSolo.appId, secret: DEMO_MINI_PROGRAMS.mpSolo.secret },
      {
        kind: "mini_program",
        key: "mp-personal",
        appId: DEMO_MINI_PROGRAMS.mpPersonal.appId,
        secret: DEMO_MINI_PROGRAMS.mpPersonal.secret,
        phoneNumber: false,
      },
      {
        kind: "mini_program",
        key: "mp-unreleased",
        appId: DEMO_MINI_PROGRAMS.mpUnreleased.appId,
        secret: DEMO_MINI_PROGRAMS.mpUnreleased.secret,
        envVersion: "develop",
      },
    ],
  };
}

/** A mini program's settings, with WeChat's defaults: the code opens `page` of the released version. */
function miniProgram(entry: Omit<Extract<AppEntry, { kind: "mini_program" }>, "kind">) {
  const envVersion = entry.envVersion ?? "release";
  return {
    key: entry.key,
    appId: entry.appId,
    secret: entry.secret,
    /** The page the code opens (the shipped mini program's pages/login/login). */
    page: entry.page ?? "pages/login/login",
    envVersion,
    /** check_path: a trial or develop build's pages are not in the release, so they cannot be checked. */
    checkPath: entry.checkPath ?? envVersion === "release",
    /** Offer WeChat's one-tap phone button (company subject, verified, paid per success). */
    phoneNumber: entry.phoneNumber ?? true,
  };
}

function websiteApp(key: string, appId: string, secret: string | undefined) {
  return {
    /** Our key for the app: `web` is the primary website app, `web2` an optional second one, then WECHAT_APPS's. */
    key,
    appId,
    secret: secret ?? "",
  };
}

function requireWith(raw: EnvVariables, report: Report, variables: EnvVariable[], because: string): void {
  for (const variable of variables) {
    if (raw[variable] === undefined) report(variable, `${variable} is required ${because}`);
  }
}

/** Which provider carries SMS: undefined in production when SMS_PROVIDER is unset, the outbox elsewhere. */
function readSmsConfig(raw: EnvVariables, report: Report) {
  const provider = raw.SMS_PROVIDER ?? (raw.NODE_ENV === "production" ? undefined : "outbox");
  if (provider === "outbox") return { provider: "outbox" as const };
  if (provider === "tencent") {
    requireWith(
      raw,
      report,
      ["TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_SDK_APP_ID", "TENCENT_SMS_SIGN_NAME", "TENCENT_SMS_TEMPLATE_ID"],
      "with SMS_PROVIDER=tencent",
    );
    return {
      provider: "tencent" as const,
      tencent: {
        secretId: raw.TENCENT_SMS_SECRET_ID ?? "",
        secretKey: raw.TENCENT_SMS_SECRET_KEY ?? "",
        /** e.g. `ap-guangzhou`. */
        region: raw.TENCENT_SMS_REGION ?? TENCENT_DEFAULT_REGION,
        /** The SMS application's SdkAppId (`1400...`). */
        sdkAppId: raw.TENCENT_SMS_SDK_APP_ID ?? "",
        /** The approved signature (签名), without the brackets. */
        signName: raw.TENCENT_SMS_SIGN_NAME ?? "",
        /** The approved template; its parameters are `{1}` the code and `{2}` the minutes. */
        templateId: raw.TENCENT_SMS_TEMPLATE_ID ?? "",
        /** An approved notice template with one parameter `{1}` (the time); without it no notices go by SMS. */
        ...(raw.TENCENT_SMS_NOTICE_TEMPLATE_ID ? { noticeTemplateId: raw.TENCENT_SMS_NOTICE_TEMPLATE_ID } : {}),
      },
    };
  }
  if (provider === "aliyun") {
    requireWith(
      raw,
      report,
      ["ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE"],
      "with SMS_PROVIDER=aliyun",
    );
    return {
      provider: "aliyun" as const,
      aliyun: {
        accessKeyId: raw.ALIYUN_SMS_ACCESS_KEY_ID ?? "",
        accessKeySecret: raw.ALIYUN_SMS_ACCESS_KEY_SECRET ?? "",
        signName: raw.ALIYUN_SMS_SIGN_NAME ?? "",
        /** The approved template (`SMS_...`); its one parameter is `${code}`. */
        templateCode: raw.ALIYUN_SMS_TEMPLATE_CODE ?? "",
        /** An approved notice template (`SMS_...`) with one parameter `${time}`; without it no notices go by SMS. */
        ...(raw.ALIYUN_SMS_NOTICE_TEMPLATE_CODE ? { noticeTemplateCode: raw.ALIYUN_SMS_NOTICE_TEMPLATE_CODE } : {}),
        /** Tests only: a loopback `host:port` gateway spoken to over plain HTTP (e2e/sms-gateway.ts). */
        ...(raw.ALIYUN_SMS_TEST_ENDPOINT ? { testEndpoint: raw.ALIYUN_SMS_TEST_ENDPOINT } : {}),
      },
    };
  }
  return undefined;
}

/** Which provider carries email: undefined in production when EMAIL_PROVIDER is unset, the outbox elsewhere. */
function readEmailConfig(raw: EnvVariables, report: Report) {
  const provider = raw.EMAIL_PROVIDER ?? (raw.NODE_ENV === "production" ? undefined : "outbox");
  if (provider === "outbox") return { provider: "outbox" as const };
  if (provider !== "smtp") return undefined;
  requireWith(raw, report, ["SMTP_HOST", "EMAIL_FROM"], "with EMAIL_PROVIDER=smtp");
  if (raw.SMTP_USER !== undefined) requireWith(raw, report, ["SMTP_PASS"], "with SMTP_USER");
  if (raw.SMTP_PASS !== undefined) requireWith(raw, report, ["SMTP_USER"], "with SMTP_PASS");
  // Port 465 is implicit TLS; 587 is submission with STARTTLS.
  const secure = raw.SMTP_SECURE === undefined ? raw.SMTP_PORT === 465 : raw.SMTP_SECURE === "true" || raw.SMTP_SECURE === "1";
  return {
    provider: "smtp" as const,
    smtp: {
      host: raw.SMTP_HOST ?? "",
      port: raw.SMTP_PORT ?? (secure ? 465 : 587),
      /** TLS from the first byte (port 465). Otherwise STARTTLS when the server offers it. */
      secure,
      ...(raw.SMTP_USER !== undefined && { user: raw.SMTP_USER }),
      ...(raw.SMTP_PASS !== undefined && { pass: raw.SMTP_PASS }),
      /** `no-reply@example.com` or `微信扫码登录 <no-reply@example.com>`. */
      from: raw.EMAIL_FROM ?? "",
    },
  };
}

/** The variables checked against each other and shaped into the app's configuration. */
export const envSchema = envVariablesSchema.transform((raw, context) => {
  let valid = true;
  const report: Report = (variable, message) => {
    valid = false;
    context.addIssue({ code: "custom", path: variable === undefined ? [] : [variable], message });
  };
  const isProduction = raw.NODE_ENV === "production";

  requireWith(raw, report, raw.AUTH_WECHAT_ID ? ["AUTH_WECHAT_SECRET"] : [], "with AUTH_WECHAT_ID");
  requireWith(raw, report, raw.AUTH_WECHAT_ALT_ID ? ["AUTH_WECHAT_ALT_SECRET"] : [], "with AUTH_WECHAT_ALT_ID");
  requireWith(raw, report, raw.WECHAT_OA_ID ? ["WECHAT_OA_SECRET", "WECHAT_OA_TOKEN"] : [], "with WECHAT_OA_ID");
  requireWith(raw, report, raw.WECHAT_MP_ID ? ["WECHAT_MP_SECRET"] : [], "with WECHAT_MP_ID");

  const hasRealCredentials = Boolean(raw.AUTH_WECHAT_ID || raw.WECHAT_OA_ID || raw.WECHAT_MP_ID || raw.WECHAT_APPS.length > 0);
  const credentials = hasRealCredentials ? raw : withDemoApps(raw);
  const emulatorUrl = raw.WECHAT_EMULATOR_URL ?? DEFAULT_EMULATOR_URL;
  const openBaseUrl = trimSlash(raw.WECHAT_OPEN_BASE_URL ?? (hasRealCredentials ? REAL_OPEN_BASE_URL : emulatorUrl));
  const apiBaseUrl = trimSlash(raw.WECHAT_API_BASE_URL ?? (hasRealCredentials ? REAL_API_BASE_URL : emulatorUrl));
  const wxLoginJsUrl =
    raw.WECHAT_WXLOGIN_JS_URL ?? (openBaseUrl === REAL_OPEN_BASE_URL ? REAL_WXLOGIN_JS_URL : `${openBaseUrl}/connect/zh_CN/htmledition/js/wxLogin.js`);

  const declared = credentials.WECHAT_APPS;
  const apps = [
    credentials.AUTH_WECHAT_ID === undefined ? undefined : websiteApp("web", credentials.AUTH_WECHAT_ID, credentials.AUTH_WECHAT_SECRET),
    credentials.AUTH_WECHAT_ALT_ID === undefined ? undefined : websiteApp("web2", credentials.AUTH_WECHAT_ALT_ID, credentials.AUTH_WECHAT_ALT_SECRET),
    ...declared.filter((entry) => entry.kind === "website").map((entry) => websiteApp(entry.key, entry.appId, entry.secret)),
  ].filter((app) => app !== undefined);
  const officialAccounts = [
    credentials.WECHAT_OA_ID === undefined
      ? undefined
      : {
          key: "oa",
          appId: credentials.WECHAT_OA_ID,
          secret: credentials.WECHAT_OA_SECRET ?? "",
          /** Token and EncodingAESKey of the message push (服务器配置). */
          token: credentials.WECHAT_OA_TOKEN ?? "",
          encodingAesKey: credentials.WECHAT_OA_AES_KEY,
          /** The account's original id (原始ID, `gh_…`): pushes must carry it as ToUserName. */
          originalId: credentials.WECHAT_OA_ORIGINAL_ID,
        },
    ...declared
      .filter((entry) => entry.kind === "official_account")
      .map(({ key, appId, secret, token, encodingAesKey, originalId }) => ({ key, appId, secret, token, encodingAesKey, originalId })),
  ].filter((account) => account !== undefined);
  const miniPrograms = [
    credentials.WECHAT_MP_ID === undefined
      ? undefined
      : miniProgram({
          key: "mp",
          appId: credentials.WECHAT_MP_ID,
          secret: credentials.WECHAT_MP_SECRET ?? "",
          envVersion: raw.WECHAT_MP_ENV_VERSION,
          phoneNumber: raw.WECHAT_MP_PHONE === undefined ? undefined : raw.WECHAT_MP_PHONE === "true" || raw.WECHAT_MP_PHONE === "1",
        }),
    ...declared.filter((entry) => entry.kind === "mini_program").map(miniProgram),
  ].filter((app) => app !== undefined);
  const everyApp = [...apps, ...officialAccounts, ...miniPrograms];
  for (const [index, app] of everyApp.entries()) {
    if (everyApp.findIndex((other) => other.key === app.key) !== index) report("WECHAT_APPS", `WECHAT_APPS: the key "${app.key}" is used twice`);
    if (everyApp.findIndex((other) => other.appId === app.appId) !== index) report("WECHAT_APPS", `WECHAT_APPS: the appid of "${app.key}" is used twice`);
  }
  const officialAccount = officialAccounts[0];
  if (everyApp.length === 0) report(undefined, "Configure a website app (AUTH_WECHAT_ID), a mini program (WECHAT_MP_ID) or an Official Account (WECHAT_OA_ID)");
  const available: Record<LoginSurface, boolean> = {
    website: apps.length > 0,
    mini_program: miniPrograms.length > 0,
    official_account: officialAccount !== undefined,
  };
  const surfaces = raw.WECHAT_LOGIN_SURFACES ?? SURFACES.filter((surface) => available[surface]);
  for (const surface of surfaces) {
    if (!available[surface]) report("WECHAT_LOGIN_SURFACES", `WECHAT_LOGIN_SURFACES offers ${surface}, which has no app configured`);
  }
  if (surfaces.length === 0) report("WECHAT_LOGIN_SURFACES", "WECHAT_LOGIN_SURFACES offers nothing to scan");

  const demoSecrets: string[] = [
    DEMO_WECHAT_APPS.web.secret,
    DEMO_WECHAT_APPS.web2.secret,
    DEMO_OFFICIAL_ACCOUNT.secret,
    ...Object.values(DEMO_MINI_PROGRAMS).map((app) => app.secret),
  ];
  const isDemo = everyApp.some((app) => demoSecrets.includes(app.secret));
  const usesEmulator = isDemo || !openBaseUrl.startsWith("https://") || isLoopback(openBaseUrl) || isLoopback(apiBaseUrl);
  if (isProduction && usesEmulator && !raw.ALLOW_WECHAT_EMULATOR_IN_PRODUCTION) {
    report(
      undefined,
      "Refusing to start in production against the WeChat emulator or demo credentials: set AUTH_WECHAT_ID / AUTH_WECHAT_SECRET " +
        "(and leave WECHAT_OPEN_BASE_URL / WECHAT_API_BASE_URL unset). Tests and benchmarks of a production build set ALLOW_WECHAT_EMULATOR_IN_PRODUCTION=1.",
    );
  }
  // Without a configured public URL the only source of our origin is the request's own headers,
  // which a client chooses: redirect_uri, emailed links and confirm links would follow them.
  if (isProduction && !raw.AUTH_URL) report("AUTH_URL", "AUTH_URL is required in production (https://your.site)");
  if (isProduction && !raw.AUTH_SECRET) report("AUTH_SECRET", "AUTH_SECRET is required in production (openssl rand -base64 33)");

  const messaging = {
    /** Undefined in production when SMS_PROVIDER is unset: no SMS can be sent. */
    sms: readSmsConfig(raw, report),
    /** Undefined in production when EMAIL_PROVIDER is unset: no email can be sent. */
    email: readEmailConfig(raw, report),
  };
  // Never in production, not even a production build on the emulator: /dev/outbox would show
  // every code to anyone who finds the page.
  const devTools = !isProduction;
  if (raw.BIND_MODE !== "off") {
    // A site that asks for a phone or email must be able to send the code, and never from the dev outbox in production.
    for (const channel of raw.BIND_CHANNELS) {
      const provider = channel === "phone" ? messaging.sms?.provider : messaging.email?.provider;
      const variable = channel === "phone" ? "SMS_PROVIDER" : "EMAIL_PROVIDER";
      if (!provider) report(variable, `${variable} is required when BIND_MODE=${raw.BIND_MODE} offers ${channel}`);
      if (provider === "outbox" && !devTools) report(variable, `${variable}=outbox is for development only`);
    }
  }
  // Any issue discards the result, so the "" placeholders of missing variables never get out.
  if (!valid) return z.NEVER;

  // Where spans are sent: the traces endpoint as given, or `/v1/traces` under the general one (the specification's rule).
  const otlpTracesUrl =
    raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (raw.OTEL_EXPORTER_OTLP_ENDPOINT ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces` : undefined);

  return {
    nodeEnv: raw.NODE_ENV,
    /** Development helpers (the message outbox and its page): never in production. */
    devTools,
    /** SMS and email providers (lib/messaging). */
    messaging,
    authSecret: raw.AUTH_SECRET ?? DEV_AUTH_SECRET,
    authUrl: raw.AUTH_URL,
    trustedProxies: raw.TRUSTED_PROXIES,
    limits: {
      /** Country calling codes whose mobile numbers may receive a code (default 86). */
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
      /** True when the WeChat endpoints are the bundled emulator. */
      usesEmulator,
      qrTtlSeconds: raw.WECHAT_QR_TTL_SECONDS,
      httpTimeoutMs: raw.WECHAT_HTTP_TIMEOUT_MS,
      stockProvider: raw.WECHAT_STOCK_PROVIDER,
      /** The Official Account for follow-to-login and in-WeChat sign-in, if any: the first one. */
      officialAccount,
      officialAccounts,
      /** Mini programs; the first is the one /login shows unless ?mp=<key> picks another. */
      miniPrograms,
      /** What /login offers, in order; the first is shown first. */
      surfaces,
      ticketTtlSeconds: raw.WECHAT_TICKET_TTL_SECONDS,
    },
    redisUrl: raw.REDIS_URL,
    bind: {
      /** off: no binding; optional: offered after the first sign-in and on /account; required: nothing else until bound. */
      mode: raw.BIND_MODE,
      channels: [...new Set(raw.BIND_CHANNELS)],
      /** Also put a one-click link in the email. */
      emailLink: raw.BIND_EMAIL_LINK,
    },
    databaseUrl: raw.DATABASE_URL,
    pgliteDir: raw.PGLITE_DIR,
    logLevel: raw.LOG_LEVEL,
    telemetry: {
      /** /api/metrics answers only with this bearer token; unset, the endpoint is off (404). */
      metricsToken: raw.METRICS_TOKEN,
      /** Traces are exported (OTLP, the standard OTEL_* variables) only when an endpoint is set. */
      tracing: otlpTracesUrl !== undefined,
      serviceName: raw.OTEL_SERVICE_NAME ?? "wechat-scan-login",
      otlpTracesUrl,
      otlpProtocol: raw.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? raw.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf",
      otlpHeaders: { ...raw.OTEL_EXPORTER_OTLP_HEADERS, ...raw.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
      /** Flush spans before each response ends (serverless), instead of only in the background batch. */
      flushEachRequest: raw.VERCEL,
    },
    retention: {
      /** Sign-in attempts (OAuth states, tickets) and WeChat events: the console's funnel reads them. */
      attemptDays: raw.ATTEMPT_RETENTION_DAYS,
      auditDays: raw.AUDIT_RETENTION_DAYS,
    },
    /** Build output dir; e2e builds into its own so a running `npm run dev` is untouched. */
    nextDistDir: raw.NEXT_DIST_DIR,
  };
});

export type Env = z.output<typeof envSchema>;
/**
 * Which hops of X-Forwarded-For are ours. `hops: 0` (the default) trusts no header and takes the
 * socket's address; `hops: n` trusts the n proxies nearest to us; `cidrs` trusts every proxy in
 * those ranges and takes the nearest address outside them.
 */
export type TrustedProxies = Env["trustedProxies"];
export type WechatAppConfig = Env["wechat"]["apps"][number];
export type OfficialAccountConfig = NonNullable<Env["wechat"]["officialAccount"]>;
export type MiniProgramConfig = Env["wechat"]["miniPrograms"][number];

export class EnvError extends Error {
  override name = "EnvError";
}

/**
 * Whether a URL points at this machine, in any spelling: `localhost` with or without the root
 * dot and its subdomains, 127/8, 0.0.0.0, `::`, `::1` and IPv4-mapped forms of those.
 */
export function isLoopback(url: string): boolean {
  const hostname = new URL(url).hostname
    .toLowerCase()
    .replace(/\.+$/, "")
    .replace(/^\[|\]$/g, "");
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

/**
 * Parses and checks an environment. Throws an {@link EnvError} naming every variable at fault, never
 * echoing a value. Exported for tests; the app uses {@link getEnv}.
 */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`)).join("; ");
  throw new EnvError(`Invalid environment: ${detail}`);
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
