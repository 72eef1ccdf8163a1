import { z } from "zod";
import { DEFAULT_CALLBACK_DOMAINS, DEFAULT_HOST, DEFAULT_LONGPOLL_MS, DEFAULT_PORT, DEFAULT_QR_TTL_SECONDS } from "./config";
import type { StartEmulatorOptions } from "./server";

// An exported-but-empty variable (FOO=) means "not set", as in most .env tooling.
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const envSchema = z.object({
  EMULATOR_PORT: optional(z.coerce.number().int().min(0).max(65_535)),
  EMULATOR_HOST: optional(z.string()),
  EMULATOR_PUBLIC_URL: optional(z.url({ protocol: /^https?$/ })),
  EMULATOR_PHONE_URL: optional(z.url({ protocol: /^https?$/ })),
  EMULATOR_CALLBACK_DOMAINS: optional(z.string()),
  EMULATOR_QR_TTL_SECONDS: optional(z.coerce.number().positive()),
  EMULATOR_LONGPOLL_MS: optional(z.coerce.number().int().min(0).max(120_000)),
  EMULATOR_OA_PUSH_URL: optional(z.url({ protocol: /^https?$/ })),
  EMULATOR_OA_PUSH_MODE: optional(z.enum(["plaintext", "compatible", "safe"])),
  EMULATOR_OA_PUSH_TOKEN: optional(z.string().regex(/^[A-Za-z0-9]{3,32}$/, "3 to 32 letters or digits")),
  EMULATOR_OA_ENCODING_AES_KEY: optional(z.string().regex(/^[A-Za-z0-9]{43}$/, "43 letters or digits")),
  EMULATOR_PUSH_TIMEOUT_MS: optional(z.coerce.number().int().min(1).max(120_000)),
  EMULATOR_MP_API_ORIGIN: optional(z.url({ protocol: /^https?$/ })),
  AUTH_WECHAT_ID: optional(z.string()),
  AUTH_WECHAT_SECRET: optional(z.string()),
});

/**
 * Reads the emulator's settings from environment variables (see emulator/README.md). Throws with a readable
 * message on invalid values; never includes AUTH_WECHAT_SECRET (or the push token and key) in it.
 */
export function readEmulatorOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): StartEmulatorOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`invalid emulator environment: ${fields}`);
  }
  const vars = parsed.data;
  const port = vars.EMULATOR_PORT ?? DEFAULT_PORT;
  const callbackDomains = vars.EMULATOR_CALLBACK_DOMAINS?.split(",")
    .map((domain) => domain.trim())
    .filter(Boolean);

  return {
    port,
    host: vars.EMULATOR_HOST ?? DEFAULT_HOST,
    ...(vars.EMULATOR_PUBLIC_URL ? { publicUrl: vars.EMULATOR_PUBLIC_URL } : {}),
    ...(vars.EMULATOR_PHONE_URL ? { phoneUrl: vars.EMULATOR_PHONE_URL } : {}),
    callbackDomains: callbackDomains?.length ? callbackDomains : [...DEFAULT_CALLBACK_DOMAINS],
    qrTtlSeconds: vars.EMULATOR_QR_TTL_SECONDS ?? DEFAULT_QR_TTL_SECONDS,
    longPollMs: vars.EMULATOR_LONGPOLL_MS ?? DEFAULT_LONGPOLL_MS,
    ...(vars.EMULATOR_OA_PUSH_URL ? { oaPushUrl: vars.EMULATOR_OA_PUSH_URL } : {}),
    ...(vars.EMULATOR_OA_PUSH_MODE ? { oaPushMode: vars.EMULATOR_OA_PUSH_MODE } : {}),
    ...(vars.EMULATOR_OA_PUSH_TOKEN ? { oaPushToken: vars.EMULATOR_OA_PUSH_TOKEN } : {}),
    ...(vars.EMULATOR_OA_ENCODING_AES_KEY ? { oaEncodingAesKey: vars.EMULATOR_OA_ENCODING_AES_KEY } : {}),
    ...(vars.EMULATOR_MP_API_ORIGIN ? { mpApiOrigin: vars.EMULATOR_MP_API_ORIGIN } : {}),
    ...(vars.EMULATOR_PUSH_TIMEOUT_MS === undefined ? {} : { pushTimeoutMs: vars.EMULATOR_PUSH_TIMEOUT_MS }),
    ...(vars.AUTH_WECHAT_ID && vars.AUTH_WECHAT_SECRET
      ? { extraApps: [{ appid: vars.AUTH_WECHAT_ID, secret: vars.AUTH_WECHAT_SECRET, name: "Local Website (AUTH_WECHAT_ID)" }] }
      : {}),
  };
}
