import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { findAttempt, listAttempts, readAttemptSeries, readFunnel } from "./attempts";
import { db } from "./client";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe.each(testDatabases())("attempts on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  const now = Date.now();
  const at = (msAgo: number) => new Date(now - msAgo);
  const later = new Date(now + 10 * MINUTE);

  beforeAll(async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "attempts" } });
    const state = { bindingHash: "h", appId: "wxweb", returnTo: "/" };
    await prisma.wechatLoginState.createMany({
      data: [
        // Website: signed in, denied, failed with an errcode, expired, still open.
        {
          ...state,
          id: "s1",
          attemptId: "web-ok",
          mode: "redirect",
          createdAt: at(50 * MINUTE),
          expiresAt: later,
          codeHash: "c",
          consumedAt: at(49 * MINUTE),
          outcome: "success",
          userId: user.id,
          finishedAt: at(49 * MINUTE),
        },
        { ...state, id: "s2", attemptId: "web-denied", mode: "embedded", createdAt: at(40 * MINUTE), expiresAt: later, outcome: "error:cancelled" },
        {
          ...state,
          id: "s3",
          attemptId: "web-40029",
          mode: "embedded",
          createdAt: at(30 * MINUTE),
          expiresAt: later,
          codeHash: "c",
          consumedAt: at(29 * MINUTE),
          outcome: "error:40029",
          errcode: 40029,
          rid: "rid-40029",
          ip: "203.0.113.9",
          userAgent: "Mozilla/5.0",
        },
        { ...state, id: "s4", attemptId: "web-expired", mode: "redirect", createdAt: at(3 * HOUR), expiresAt: at(2 * HOUR) },
        { ...state, id: "s5", attemptId: "web-open", mode: "redirect", createdAt: at(MINUTE), expiresAt: later },
        // In WeChat: a silent state that escalated and was never continued (still open), and a consent state that signed in.
        { ...state, id: "s6", attemptId: "wx-base", mode: "oa_base", createdAt: at(20 * MINUTE), expiresAt: later, outcome: "escalated" },
        { ...state, id: "s7", attemptId: "wx-ok", mode: "oa_userinfo", createdAt: at(20 * MINUTE), expiresAt: later, outcome: "signed_out", userId: user.id },
      ],
    });
    const ticket = { bindingHash: "h", appId: "wxoa", matchCode: "42", returnTo: "/", expiresAt: later };
    await prisma.loginTicket.createMany({
      data: [
        {
          ...ticket,
          id: "t1",
          attemptId: "oa-ok",
          scene: "t1",
          qrUrl: "q",
          status: "redeemed",
          createdAt: at(55 * MINUTE),
          scannedAt: at(54 * MINUTE),
          confirmedAt: at(52 * MINUTE),
          userId: user.id,
        },
        {
          ...ticket,
          id: "t2",
          attemptId: "oa-ok-2",
          scene: "t2",
          qrUrl: "q",
          status: "redeemed",
          createdAt: at(10 * MINUTE),
          scannedAt: at(7 * MINUTE),
          confirmedAt: at(6 * MINUTE),
          userId: user.id,
        },
        {
          ...ticket,
          id: "t3",
          attemptId: "oa-wrong",
          scene: "t3",
          qrUrl: "q",
          status: "cancelled",
          errorCode: "number_mismatch",
          createdAt: at(3 * MINUTE),
          scannedAt: at(MINUTE),
        },
        {
          ...ticket,
          id: "t4",
          attemptId: "oa-45009",
          scene: "t4",
          status: "error",
          errorCode: "45009",
          errcode: 45009,
          rid: "rid-45009",
          createdAt: at(3 * MINUTE),
        },
        {
          ...ticket,
          id: "t5",
          attemptId: "mp-cancel",
          surface: "mini_program",
          scene: "t5",
          codeImage: "c",
          status: "cancelled",
          createdAt: at(2 * MINUTE),
          scannedAt: at(MINUTE),
        },
        // Expired after WeChat refused its jscode2session: failed, with the errcode.
        {
          ...ticket,
          id: "t6",
          attemptId: "mp-40029",
          surface: "mini_program",
          scene: "t6",
          codeImage: "c",
          status: "waiting",
          errorCode: "40029",
          errcode: 40029,
          rid: "rid-mp",
          expiresAt: at(MINUTE),
          createdAt: at(6 * MINUTE),
        },
        // Confirmed but never redeemed within the window: expired.
        {
          ...ticket,
          id: "t7",
          attemptId: "mp-unredeemed",
          surface: "mini_program",
          scene: "t7",
          codeImage: "c",
          status: "confirmed",
          scannedAt: at(5 * MINUTE),
          confirmedAt: at(4 * MINUTE),
          createdAt: at(5 * MINUTE),
        },
      ],
    });
  });

  it("maps every stored state and ticket to one attempt with its outcome, never showing a state or ticket id", async () => {
    const all = await listAttempts({ limit: 200 });
    const outcomes = Object.fromEntries(all.map((attempt) => [attempt.id, attempt.outcome]));
    expect(outcomes).toEqual({
      "web-ok": "signed_in",
      "web-denied": "denied",
      "web-40029": "failed",
      "web-expired": "expired",
      "web-open": "pending",
      "wx-base": "pending",
      "wx-ok": "signed_in",
      "oa-ok": "signed_in",
      "oa-ok-2": "signed_in",
      "oa-wrong": "failed",
      "oa-45009": "failed",
      "mp-cancel": "cancelled",
      "mp-40029": "failed",
      "mp-unredeemed": "expired",
    });
    expect(all.map((attempt) => attempt.createdAt.getTime())).toEqual(all.map((attempt) => attempt.createdAt.getTime()).sort((a, b) => b - a));
    expect(JSON.stringify(all)).not.toMatch(/"s[1-7]"|"t[1-7]"/);
    expect(await findAttempt("web-40029")).toMatchObject({
      surface: "website",
      outcome: "failed",
      errorCode: "40029",
      errcode: 40029,
      rid: "rid-40029",
      ip: "203.0.113.9",
      userAgent: "Mozilla/5.0",
      scannedAt: null,
    });
    expect(await findAttempt("oa-45009")).toMatchObject({ surface: "official_account", errorCode: "45009", errcode: 45009, rid: "rid-45009" });
    expect(await findAttempt("wx-base")).toMatchObject({ surface: "in_wechat", outcome: "pending", finishedAt: null });
    expect(await findAttempt("t1")).toBeNull();
  });

  it("filters by outcome, surface, errcode, user and time", async () => {
    const ids = async (filter: Parameters<typeof listAttempts>[0]) => (await listAttempts(filter)).map((attempt) => attempt.id).sort();
    expect(await ids({ outcome: "failed" })).toEqual(["mp-40029", "oa-45009", "oa-wrong", "web-40029"]);
    expect(await ids({ surface: "mini_program" })).toEqual(["mp-40029", "mp-cancel", "mp-unredeemed"]);
    expect(await ids({ errcode: 40029 })).toEqual(["mp-40029", "web-40029"]);
    expect(await ids({ since: at(15 * MINUTE), surface: "website" })).toEqual(["web-open"]);
    const [user] = await (await db()).user.findMany({ where: { name: "attempts" } });
    expect(await ids({ userId: user!.id })).toEqual(["oa-ok", "oa-ok-2", "web-ok", "wx-ok"]);
    expect(await listAttempts({ limit: 2 })).toHaveLength(2);
  });

  it("counts the funnel per surface and in total, with medians and failures by errcode", async () => {
    const funnel = await readFunnel(at(2 * HOUR));
    expect(funnel.rows.map((row) => row.surface)).toEqual(["all", "website", "in_wechat", "official_account", "mini_program"]);
    const bySurface = Object.fromEntries(funnel.rows.map((row) => [row.surface, row]));
    expect(bySurface.website).toEqual({
      surface: "website",
      shown: 4,
      scanned: null,
      confirmed: 2,
      signedIn: 1,
      failed: 1,
      medianScanMs: null,
      medianConfirmMs: null,
    });
    expect(bySurface.in_wechat).toMatchObject({ shown: 2, scanned: null, signedIn: 1, failed: 0 });
    // The refused QR was never shown.
    expect(bySurface.official_account).toMatchObject({
      shown: 3,
      scanned: 3,
      confirmed: 2,
      signedIn: 2,
      failed: 2,
      medianScanMs: 2 * MINUTE,
      medianConfirmMs: 1.5 * MINUTE,
    });
    expect(bySurface.mini_program).toMatchObject({ shown: 3, scanned: 2, confirmed: 1, signedIn: 0, failed: 1 });
    expect(bySurface.all).toMatchObject({ shown: 12, scanned: null, confirmed: 5, signedIn: 4, failed: 4 });
    expect(funnel.failures).toEqual([
      { errorCode: "40029", errcode: 40029, count: 2 },
      { errorCode: "45009", errcode: 45009, count: 1 },
      { errorCode: "number_mismatch", errcode: null, count: 1 },
    ]);
  });

  it("gives a series with its empty buckets", async () => {
    const series = await readAttemptSeries(at(2 * HOUR), HOUR, new Date(now));
    expect(series.map((point) => point.at.getTime())).toEqual([now - 2 * HOUR, now - HOUR]);
    expect(series[0]).toMatchObject({ shown: 0, signedIn: 0, failed: 0 });
    expect(series[1]).toMatchObject({ shown: 12, signedIn: 4, failed: 4 });
    const recent = await readAttemptSeries(at(HOUR), 30 * MINUTE, new Date(now));
    expect(recent).toHaveLength(2);
    expect(recent.reduce((sum, point) => sum + point.shown, 0)).toBe(12);
  });
});
