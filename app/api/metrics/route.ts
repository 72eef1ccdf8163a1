/**
 * Prometheus scrape endpoint. Off (404) unless METRICS_TOKEN is set, and then only for a request
 * bearing exactly that token. Each scrape refreshes the gauges read from elsewhere (waiting
 * tickets from the database, WeChat's quota per endpoint) before rendering this process's
 * registry; a failure of either leaves its gauges as they were and the scrape still answers.
 */
import { safeEqual, sha256 } from "@/lib/crypto";
import { countWaitingTickets } from "@/lib/db/ticket-counts";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { renderMetrics, setQuotaGauges, setWaitingTickets } from "@/lib/telemetry";
import { readQuotas } from "@/lib/wechat/diagnostics";

export const dynamic = "force-dynamic";

/** Scrapes time out after 10 s by default; WeChat's quota is not worth more than a part of that. */
const QUOTA_WAIT_MS = 3_000;

function plain(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers } });
}

/** The bearer token matches, compared in constant time (digests of equal length, whatever was sent). */
function isAuthorized(header: string | null, token: string): boolean {
  const match = /^Bearer ([^\s]+)$/.exec(header ?? "");
  return safeEqual(sha256(match?.[1] ?? ""), sha256(token)) && match !== null;
}

async function refreshQuotaGauges(): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), QUOTA_WAIT_MS);
  });
  try {
    const readings = await Promise.race([readQuotas(), timeout]);
    if (readings === "timeout") {
      logger.warn("metrics.quota_failed", { reason: "timeout" });
      return;
    }
    setQuotaGauges(
      readings.flatMap((reading) =>
        reading.ok ? [{ appId: reading.appId, endpoint: reading.endpoint, dailyLimit: reading.dailyLimit, used: reading.used, remain: reading.remain }] : [],
      ),
    );
  } catch (error) {
    logger.warn("metrics.quota_failed", { reason: error instanceof Error ? error.name : String(error) });
  } finally {
    clearTimeout(timer);
  }
}

async function refreshTicketGauges(): Promise<void> {
  try {
    setWaitingTickets(await countWaitingTickets());
  } catch (error) {
    logger.warn("metrics.tickets_failed", { reason: error instanceof Error ? error.name : String(error) });
  }
}

export async function GET(request: Request): Promise<Response> {
  const token = getEnv().telemetry.metricsToken;
  if (!token) return plain("not found", 404);
  if (!isAuthorized(request.headers.get("authorization"), token)) return plain("unauthorized", 401, { "www-authenticate": 'Bearer realm="metrics"' });
  await Promise.all([refreshQuotaGauges(), refreshTicketGauges()]);
  const { body, contentType } = await renderMetrics();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
