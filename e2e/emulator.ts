/** The emulator's control API, as tests use it (documented in emulator/README.md). */
import { expect, type APIRequestContext } from "@playwright/test";
import { EMULATOR_URL } from "./config";

export type QrSession = { uuid: string; appid: string; status: string; state: string; code?: string; redirect?: string };

export type OaDelivery = { delivered: boolean; attempts: number; reply?: { raw: string; content?: string; links: string[] } };

export class Emulator {
  constructor(private readonly request: APIRequestContext) {}

  private async post<T>(path: string, body: unknown = {}): Promise<T> {
    const response = await this.request.post(`${EMULATOR_URL}/_emulator/${path}`, { data: body });
    expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
    return (await response.json()) as T;
  }

  scan(uuid: string, user: string) {
    return this.post<QrSession>(`qr/${uuid}/scan`, { user });
  }
  async confirm(uuid: string | Promise<string>, user: string) {
    return this.post<QrSession>(`qr/${await uuid}/confirm`, { user });
  }
  cancel(uuid: string) {
    return this.post<QrSession>(`qr/${uuid}/cancel`);
  }
  expire(uuid: string) {
    return this.post<QrSession>(`qr/${uuid}/expire`);
  }
  fault(fault: { endpoint: string; times?: number; errcode?: number; status?: number; timeout?: boolean; malformed?: boolean; delayMs?: number }) {
    return this.post<unknown>("faults", { times: 1, ...fault });
  }
  /** A phone scans our own QR (by the url it encodes) as a new or an existing follower. */
  oaScan(url: string, user: string, as: "new" | "existing" = "new", options: { badSignature?: boolean } = {}) {
    return this.post<OaDelivery>("oa/scan", { url, user, as, ...options });
  }
  oaReplayLast() {
    return this.post<OaDelivery>("oa/replay-last");
  }
  oaPush(body: Record<string, unknown>) {
    return this.post<OaDelivery>("oa/push", body);
  }
  settings(settings: Record<string, unknown>) {
    return this.post<unknown>("settings", settings);
  }
  reset() {
    return this.post<unknown>("reset");
  }
  async users(): Promise<{ id: string; nickname: string }[]> {
    const response = await this.request.get(`${EMULATOR_URL}/_emulator/users`);
    return (await response.json()) as { id: string; nickname: string }[];
  }
}
