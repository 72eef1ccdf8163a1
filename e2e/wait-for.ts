import { APP_URL } from "./config";

/** Resolves once the first app instance (which owns the e2e build) answers its health check. */
export async function waitForFirstInstance(timeoutMs = 300_000): Promise<void> {
  const url = `${APP_URL}/api/health`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not come up`);
}
