/**
 * The one way a failure becomes an answer, as a page, a phone or an attacker sees it: an expected
 * failure is its status and code (a refused limit in the visitor's language); anything else is a
 * generic 500 that names a request id, logged once under that id, its text never in the answer.
 */
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError, type ErrorCode } from "@/lib/errors";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { errorPage, errorResponse, loginErrorPath, logUnexpected, statusOf } from "./respond";

const SECRET_TEXT = "connect ECONNREFUSED 10.0.0.5:5432 password=hunter2";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function request(path = "/api/login-tickets", options: { locale?: string } = {}): NextRequest {
  return new NextRequest(`http://localhost:3000${path}`, { method: "POST", headers: options.locale ? { cookie: `locale=${options.locale}` } : {} });
}

/** Every line the logger wrote to stderr (warnings and errors), parsed. */
let errorLines: Record<string, unknown>[];

beforeEach(() => {
  errorLines = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void errorLines.push(JSON.parse(line) as Record<string, unknown>));
});

afterEach(() => {
  vi.restoreAllMocks();
});
restoreEnvAfterEach();

describe("errorResponse", () => {
  it.each<[ErrorCode, number]>([
    ["invalid_request", 400],
    ["unknown_app", 400],
    ["cross_origin", 403],
    ["not_found", 404],
    ["expired", 409],
    ["wrong_browser", 409],
    ["already_redeemed", 409],
    ["cancelled", 409],
    // WeChat's own failures: a bad gateway.
    ["40029", 502],
    ["timeout", 502],
    ["upstream_unavailable", 502],
  ])("answers AppError %s with %i and its code, logging nothing", async (code, status) => {
    const response = errorResponse(request(), new AppError(code, { detail: { secret: SECRET_TEXT } }));
    expect(response.status).toBe(status);
    expect(statusOf(code)).toBe(status);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("retry-after")).toBeNull();
    expect(await response.json()).toEqual({ error: code, message: expect.any(String) });
    expect(errorLines).toEqual([]);
  });

  it("answers a refused limit with 429, Retry-After, and a message in zh-CN by default", async () => {
    const response = errorResponse(request(), new AppError("rate_limited", { retryAfterSeconds: 42 }));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("42");
    expect(await response.json()).toEqual({ error: "rate_limited", message: "请求过于频繁，请在 42 秒后重试。", retryAfterSeconds: 42 });
    // A cookie naming no language we have is the default too.
    const unknown = errorResponse(request("/api/login-tickets", { locale: "fr" }), new AppError("rate_limited", { retryAfterSeconds: 600 }));
    expect(((await unknown.json()) as { message: string }).message).toBe("请求过于频繁，请在 10 分钟后重试。");
  });

  it("answers a refused limit in English for a visitor whose locale cookie says en", async () => {
    const seconds = errorResponse(request("/api/login-tickets", { locale: "en" }), new AppError("rate_limited", { retryAfterSeconds: 42 }));
    expect(((await seconds.json()) as { message: string }).message).toBe("Too many requests. Please try again in 42 seconds.");
    const minutes = errorResponse(request("/api/login-tickets", { locale: "en" }), new AppError("rate_limited", { retryAfterSeconds: 150 }));
    expect(minutes.headers.get("retry-after")).toBe("150");
    expect(((await minutes.json()) as { message: string }).message).toBe("Too many requests. Please try again in 3 minutes.");
  });

  it("answers an unexpected error with a generic 500 naming a request id, logged once under that id", async () => {
    const response = errorResponse(request("/api/login-tickets/abc/redeem"), new Error(SECRET_TEXT));
    expect(response.status).toBe(500);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("ECONNREFUSED");
    const body = JSON.parse(text) as { error: string; requestId: string };
    expect(body).toEqual({ error: "server_error", message: "服务器出错了，请稍后重试。", requestId: expect.stringMatching(UUID) });

    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatchObject({
      level: "error",
      event: "request.unexpected",
      requestId: body.requestId,
      method: "POST",
      path: "/api/login-tickets/abc/redeem",
    });
    // The detail is for the log.
    expect(errorLines[0]!.error).toBe(`Error: ${SECRET_TEXT}`);
  });

  it("gives every unexpected error its own request id, whatever was thrown", async () => {
    const first = (await errorResponse(request(), "a thrown string").json()) as { requestId: string };
    const second = (await errorResponse(request(), { weird: true }).json()) as { requestId: string };
    expect(first.requestId).not.toBe(second.requestId);
    expect(errorLines.map((line) => line.requestId)).toEqual([first.requestId, second.requestId]);
    expect(errorLines[0]!.error).toBe("a thrown string");
  });
});

describe("errorPage", () => {
  it("sends a sign-in failure to /login/error with its reason, on our public origin", () => {
    withEnv({ AUTH_URL: "https://login.example.com" });
    const response = errorPage(request("/api/wechat/login"), new AppError("state_expired"), { returnTo: "/account?tab=sessions" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("https://login.example.com/login/error?reason=state_expired&returnTo=%2Faccount%3Ftab%3Dsessions");
    // WeChat's errcodes keep their identity up to the page.
    expect(errorPage(request(), new AppError("40163")).headers.get("location")).toBe("https://login.example.com/login/error?reason=40163");
    // A code the error page has no text for reads as our failure.
    expect(errorPage(request(), new AppError("not_found")).headers.get("location")).toBe("https://login.example.com/login/error?reason=server_error");
    expect(errorLines).toEqual([]);
  });

  it("sends an unexpected error to the error page with its request id, logged once under it", () => {
    const response = errorPage(request("/api/wechat/oa/login"), new TypeError(SECRET_TEXT));
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location")!);
    expect(location.pathname).toBe("/login/error");
    expect(location.searchParams.get("reason")).toBe("server_error");
    const ref = location.searchParams.get("ref");
    expect(ref).toMatch(UUID);
    expect(location.toString()).not.toContain("hunter2");
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatchObject({ event: "request.unexpected", requestId: ref, path: "/api/wechat/oa/login" });
  });

  it("answers a refused limit with a short 429 page in the visitor's language", async () => {
    const zh = errorPage(request("/api/wechat/login"), new AppError("rate_limited", { retryAfterSeconds: 30 }));
    expect(zh.status).toBe(429);
    expect(zh.headers.get("retry-after")).toBe("30");
    expect(zh.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const zhHtml = await zh.text();
    expect(zhHtml).toContain('<html lang="zh-CN">');
    expect(zhHtml).toContain("请求过于频繁，请在 30 秒后重试。");
    expect(zhHtml).toContain('<a href="/login">微信扫码登录</a>');
    const en = await errorPage(request("/api/wechat/login", { locale: "en" }), new AppError("rate_limited", { retryAfterSeconds: 30 })).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain("Too many requests. Please try again in 30 seconds.");
  });
});

describe("logUnexpected", () => {
  it("returns the id it logged", () => {
    const id = logUnexpected(request("/api/wechat/callback"), new Error("boom"));
    expect(errorLines).toEqual([expect.objectContaining({ event: "request.unexpected", requestId: id, error: "Error: boom" })]);
  });
});

describe("loginErrorPath", () => {
  it("builds the error page's path from a code, the way back and the request id", () => {
    expect(loginErrorPath("48001", { returnTo: "/docs", requestId: "r-1" })).toBe("/login/error?reason=48001&returnTo=%2Fdocs&ref=r-1");
    expect(loginErrorPath("cross_origin")).toBe("/login/error?reason=server_error");
  });
});
