/** Follow-to-login tickets for tests: a new browser's ticket, and the phone's scan and confirm. */
import { expect } from "vitest";
import { POST as createTicket } from "@/app/api/login-tickets/route";
import { openidFor } from "@/emulator/config";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { confirmTicket, createLoginTicket, recordScan } from "@/lib/login/follow-to-login";
import { routeRequest, setCookie } from "./requests";

/** A ticket a new browser asked for (createLoginTicket): the ticket, the browser's binding, and its QR's scene. */
export async function startTicket(options: { ip?: string | null; userAgent?: string | null } = {}) {
  const binding = randomToken(32);
  const ticket = await createLoginTicket({ bindingHash: sha256(binding), returnTo: "/account", ip: options.ip ?? null, userAgent: options.userAgent ?? null });
  const { scene } = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  return { ticket, binding, bindingHash: sha256(binding), scene };
}

/** A browser that opened the follow-to-login QR through POST /api/login-tickets: its binding cookie and its ticket. */
export async function browserWithTicket(ip = "198.51.100.20") {
  const response = await createTicket(routeRequest("/api/login-tickets", { method: "POST", ip, body: { returnTo: "/account" } }));
  expect(response.status).toBe(201);
  const binding = setCookie(response, bindingCookieName())!.value;
  const ticket = (await response.json()) as { id: string; matchCode: string };
  return { binding, ticket };
}

/** Scans and confirms `ticketId` on the phone as 林晓. */
export async function confirmOnPhone(ticketId: string, matchCode: string): Promise<void> {
  const { scene } = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticketId } });
  const scan = await recordScan(scene, openidFor(DEMO_OFFICIAL_ACCOUNT.appId, "lin"));
  if (scan.kind !== "confirm_link") throw new Error(`scan: ${scan.kind}`);
  expect(await confirmTicket(scan.confirmToken, matchCode)).toBe("confirmed");
}

/**
 * A ticket row as a confirm on the phone leaves it (status confirmed, the person resolved), for
 * tests of what happens next without WeChat.
 */
export async function insertConfirmedTicket(input: { userId: string; bindingHash: string; confirmedAt?: Date; returnTo?: string }) {
  const prisma = await db();
  const id = randomToken(24);
  return prisma.loginTicket.create({
    data: {
      id,
      bindingHash: input.bindingHash,
      appId: DEMO_OFFICIAL_ACCOUNT.appId,
      scene: `login_${id}`,
      matchCode: "42",
      returnTo: input.returnTo ?? "/account",
      expiresAt: new Date(Date.now() + 5 * 60_000),
      status: "confirmed",
      userId: input.userId,
      confirmedAt: input.confirmedAt ?? new Date(),
    },
  });
}
