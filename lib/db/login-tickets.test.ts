/**
 * Follow-to-login ticket rows: every status change is guarded by the status it expects, so
 * scans, confirms, cancels and the expiry racing each other leave one winner. On the embedded
 * database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "@/lib/crypto";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import {
  cancelOpenTicket,
  cancelScannedTicket,
  confirmTicketForPerson,
  expireOpenTicket,
  findTicket,
  findTicketByConfirmTokenHash,
  findTicketByScene,
  findWaitingTicket,
  insertTicket,
  markTicketScanned,
  type NewTicket,
} from "./login-tickets";

const OA = DEMO_OFFICIAL_ACCOUNT.appId;
const MINUTE = 60_000;

async function newTicket(overrides: Partial<NewTicket> = {}) {
  const id = randomToken(24);
  return insertTicket({
    id,
    bindingHash: sha256(randomToken(32)),
    appId: OA,
    scene: `login_${id}`,
    matchCode: "42",
    returnTo: "/account",
    expiresAt: new Date(Date.now() + 5 * MINUTE),
    ...overrides,
  });
}

async function scanned(openid = "oScanner000000000000000000001") {
  const ticket = await newTicket();
  expect(await markTicketScanned(ticket, { openid: openid, confirmTokenHash: sha256(randomToken(32)), choices: "17,42,88" })).not.toBeNull();
  return (await findTicket(ticket.id))!;
}

describe.each(testDatabases())("login tickets on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("is found by id, by its QR's scene and by its confirm link, and starts waiting", async () => {
    const ticket = await newTicket();
    expect(ticket.status).toBe("waiting");
    expect((await findTicket(ticket.id))?.scene).toBe(ticket.scene);
    expect((await findTicketByScene(ticket.scene))?.id).toBe(ticket.id);
    expect(await findTicket(randomToken(24))).toBeNull();
    const confirmTokenHash = sha256(randomToken(32));
    await markTicketScanned(ticket, { openid: "oScanner000000000000000000001", confirmTokenHash: confirmTokenHash, choices: "17,42,88" });
    expect((await findTicketByConfirmTokenHash(confirmTokenHash))?.id).toBe(ticket.id);
  });

  it("is scanned by its first scanner only; that scanner may scan again for a new link", async () => {
    const ticket = await newTicket();
    const first = sha256(randomToken(32));
    expect(await markTicketScanned(ticket, { openid: "oFirst0000000000000000000001", confirmTokenHash: first, choices: "17,42,88" })).not.toBeNull();
    const afterFirst = (await findTicket(ticket.id))!;
    expect(afterFirst).toMatchObject({ status: "scanned", openid: "oFirst0000000000000000000001", confirmTokenHash: first, choices: "17,42,88" });

    expect(
      await markTicketScanned(afterFirst, { openid: "oSecond000000000000000000001", confirmTokenHash: sha256(randomToken(32)), choices: "11,42,99" }),
    ).toBeNull();
    expect(await findTicket(ticket.id)).toEqual(afterFirst);

    const again = sha256(randomToken(32));
    expect(await markTicketScanned(afterFirst, { openid: "oFirst0000000000000000000001", confirmTokenHash: again, choices: "17,42,88" })).not.toBeNull();
    const afterAgain = (await findTicket(ticket.id))!;
    expect(afterAgain.confirmTokenHash).toBe(again);
    expect(afterAgain.scannedAt).toEqual(afterFirst.scannedAt);
    expect(await findTicketByConfirmTokenHash(first)).toBeNull();
  });

  it("lets one of two people scanning the same QR at once have it", async () => {
    const ticket = await newTicket();
    const results = await Promise.all([
      markTicketScanned(ticket, { openid: "oRaceA00000000000000000000001", confirmTokenHash: sha256(randomToken(32)), choices: "17,42,88" }),
      markTicketScanned(ticket, { openid: "oRaceB00000000000000000000001", confirmTokenHash: sha256(randomToken(32)), choices: "17,42,88" }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const row = (await findTicket(ticket.id))!;
    expect(row.openid).toBe(results[0] ? "oRaceA00000000000000000000001" : "oRaceB00000000000000000000001");
  });

  it("cancels an open ticket once, and a wrong number only a scanned one", async () => {
    const waiting = await newTicket();
    await cancelScannedTicket(waiting.id, "number_mismatch");
    expect((await findTicket(waiting.id))!.status).toBe("waiting");
    expect(await cancelOpenTicket(waiting.id)).toBe(true);
    expect(await cancelOpenTicket(waiting.id)).toBe(false);

    const ticket = await scanned();
    await cancelScannedTicket(ticket.id, "number_mismatch");
    expect(await findTicket(ticket.id)).toMatchObject({ status: "cancelled", errorCode: "number_mismatch" });
    expect(await cancelOpenTicket(ticket.id)).toBe(false);
  });

  it("expires an open ticket only past its expiry, once, and never a finished one", async () => {
    const alive = await newTicket();
    expect(await expireOpenTicket(alive.id)).toBe(false);
    const past = await newTicket({ expiresAt: new Date(Date.now() - 1000) });
    expect(await expireOpenTicket(past.id)).toBe(true);
    expect((await findTicket(past.id))!.status).toBe("expired");
    expect(await expireOpenTicket(past.id)).toBe(false);
    const cancelled = await newTicket({ expiresAt: new Date(Date.now() - 1000) });
    await cancelOpenTicket(cancelled.id);
    expect(await expireOpenTicket(cancelled.id)).toBe(false);
    expect((await findTicket(cancelled.id))!.status).toBe("cancelled");
  });

  it("confirms a scanned ticket for the person it resolves, in one transaction", async () => {
    const ticket = await scanned("oConfirm00000000000000000001");
    expect(await confirmTicketForPerson(ticket.id, { appId: OA, openid: "oConfirm00000000000000000001", unionid: "oUnionConfirm000000000000001" })).toEqual({
      userId: expect.any(String),
    });
    const row = (await findTicket(ticket.id))!;
    expect(row).toMatchObject({ status: "confirmed", confirmTokenHash: null });
    expect(row.confirmedAt).toBeInstanceOf(Date);
    const prisma = await db();
    expect(await prisma.user.findUniqueOrThrow({ where: { id: row.userId! } })).toMatchObject({ unionid: "oUnionConfirm000000000000001" });
    // A second confirm finds it confirmed already.
    expect(await confirmTicketForPerson(ticket.id, { appId: OA, openid: "oConfirm00000000000000000001" })).toBeUndefined();
  });

  it("binds a WeChat-verified phone in the confirm's own transaction, moving it off the account that held it", async () => {
    const prisma = await db();
    const holder = await prisma.user.create({ data: { phone: "+8613900000002", phoneVerified: new Date() } });
    const ticket = await scanned("oPhone0000000000000000000001");
    const confirmed = await confirmTicketForPerson(
      ticket.id,
      { appId: OA, openid: "oPhone0000000000000000000001" },
      { target: "+8613900000002", shownTarget: "139****0002", ip: "203.0.113.5" },
    );
    expect(confirmed).toEqual({ userId: expect.any(String), phone: { ok: true, movedFrom: holder.id } });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: confirmed!.userId } })).phone).toBe("+8613900000002");
    expect((await prisma.user.findUniqueOrThrow({ where: { id: holder.id } })).phone).toBeNull();
  });

  it("keeps no user change when the ticket was cancelled or expired before the confirm", async () => {
    const prisma = await db();
    const cancelled = await scanned("oLateCancel000000000000000001");
    await cancelOpenTicket(cancelled.id);
    const expired = await scanned("oLateExpiry000000000000000001");
    await prisma.loginTicket.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    for (const [ticket, openid] of [
      [cancelled, "oLateCancel000000000000000001"],
      [expired, "oLateExpiry000000000000000001"],
    ] as const) {
      const phone = { target: "+8613900000001", shownTarget: "139****0001", ip: null };
      expect(await confirmTicketForPerson(ticket.id, { appId: OA, openid, unionid: `u-${openid}` }, phone)).toBeUndefined();
      expect(await prisma.user.count({ where: { phone: phone.target } })).toBe(0);
      expect(await prisma.wechatIdentity.count({ where: { appId: OA, openid } })).toBe(0);
      expect(await prisma.user.count({ where: { unionid: `u-${openid}` } })).toBe(0);
      expect((await findTicket(ticket.id))!.userId).toBeNull();
    }
  });

  it("hands a browser back its newest waiting ticket for the same return path, if it lives long enough", async () => {
    const bindingHash = sha256(randomToken(32));
    const soon = new Date(Date.now() + MINUTE);
    expect(await findWaitingTicket({ bindingHash, returnTo: "/account", surface: "official_account", appId: OA }, soon)).toBeNull();
    const older = await newTicket({ bindingHash });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newest = await newTicket({ bindingHash });
    await newTicket({ bindingHash, returnTo: "/docs" });
    await newTicket({ bindingHash, expiresAt: new Date(Date.now() + 30_000) });
    await newTicket({ returnTo: "/account" });
    await newTicket({ bindingHash, surface: "mini_program", appId: "wx8e0b5c61d2a3f4b0" });
    expect((await findWaitingTicket({ bindingHash, returnTo: "/account", surface: "official_account", appId: OA }, soon))?.id).toBe(newest.id);
    // Once scanned it is no longer handed out.
    await markTicketScanned(newest, { openid: "oReuse00000000000000000000001", confirmTokenHash: sha256(randomToken(32)), choices: "17,42,88" });
    expect((await findWaitingTicket({ bindingHash, returnTo: "/account", surface: "official_account", appId: OA }, soon))?.id).toBe(older.id);
  });
});
