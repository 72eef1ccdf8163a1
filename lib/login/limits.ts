/**
 * Abuse limits of the sign-in flows. Each login state and ticket may cost a WeChat call (a
 * `qrcode/create` against the Official Account's daily quota) and a database row, and each open
 * stream a socket and a watch, so anonymous clients are limited per browser (the binding hash;
 * a client without a cookie gets a new one each time, which the per-IP limit then catches) and
 * per trusted client address.
 */
import "server-only";
import { releaseLimits, takeLimits, type Limit, type LimitResult } from "@/lib/db/limits";
import { getEnv } from "@/lib/env";
import { countRateLimited } from "@/lib/telemetry";

const LOGIN_WINDOW_SECONDS = 10 * 60;
/** A lease outlives any ticket (5 minutes by default), so only a crashed process leaves one behind. */
const STREAM_LEASE_SECONDS = 30 * 60;

function limitsFor(prefix: string, bindingHash: string, ip: string | null, perBrowser: number, perIp: number, ttlSeconds: number): Limit[] {
  const limits: Limit[] = [{ bucket: `${prefix}.browser`, key: bindingHash, max: perBrowser, ttlSeconds }];
  if (ip) limits.push({ bucket: `${prefix}.ip`, key: ip, max: perIp, ttlSeconds });
  return limits;
}

/** The limits on new login states and tickets for this browser and address, per 10-minute window. */
export function loginLimits(bindingHash: string, ip: string | null): Limit[] {
  const { loginPerBrowser, loginPerIp } = getEnv().limits;
  return limitsFor("login", bindingHash, ip, loginPerBrowser, loginPerIp, LOGIN_WINDOW_SECONDS);
}

/** Counts a refusal by the limit's name (`login.ip`), never by its key. */
export function countedRefusal(result: LimitResult): LimitResult {
  if (!result.ok) countRateLimited(result.bucket);
  return result;
}

/** One new login state or ticket for this browser and address, within the 10-minute window. */
export async function takeLoginLimits(bindingHash: string, ip: string | null): Promise<LimitResult> {
  return countedRefusal(await takeLimits(loginLimits(bindingHash, ip)));
}

/** A lease on one open live-status stream; give it back with {@link releaseStreamLease}. */
export function takeStreamLease(bindingHash: string, ip: string | null): Promise<LimitResult> {
  const { streamsPerBrowser, streamsPerIp } = getEnv().limits;
  return takeLimits(limitsFor("stream", bindingHash, ip, streamsPerBrowser, streamsPerIp, STREAM_LEASE_SECONDS)).then(countedRefusal);
}

export const releaseStreamLease = releaseLimits;

/** Scans one code may see (each costs a `jscode2session` call): a phone retrying is a few, a script many. */
const SCANS_PER_TICKET = 20;

/**
 * One scan reported by a mini program from this address, and one more scan of this code. The
 * phone has no browser binding, so the code's scene stands in for it.
 */
export async function takeMiniProgramLimits(scene: string, ip: string | null): Promise<LimitResult> {
  const { loginPerIp } = getEnv().limits;
  const limits: Limit[] = [{ bucket: "mp.ticket", key: scene, max: SCANS_PER_TICKET, ttlSeconds: LOGIN_WINDOW_SECONDS }];
  if (ip) limits.push({ bucket: "mp.ip", key: ip, max: loginPerIp, ttlSeconds: LOGIN_WINDOW_SECONDS });
  return countedRefusal(await takeLimits(limits));
}
