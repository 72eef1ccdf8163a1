/**
 * A waiting browser for the live-status benchmark, on node:http rather than fetch: a thousand of
 * them must each hold their own keep-alive connection (as real browsers do), and the moment a
 * status arrives is taken in the socket's data handler, with no stream adapters in between.
 */
import { Agent, request, type IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";
import { CookieJar } from "tough-cookie";

export type HttpAnswer = { status: number; headers: IncomingHttpHeaders; body: string; answeredAt: number };

/** `timeoutMs` undefined: no deadline, like a page's fetch. */
export type SendInit = { method?: string; headers?: Record<string, string>; body?: string; agent: Agent; timeoutMs: number | undefined };

/** One request, the whole body read; rejects on transport errors and on the deadline (socket idle that long). */
export function sendRequest(url: string | URL, init: SendInit): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
    const outgoing = request(
      url,
      { method: init.method ?? "GET", headers, agent: init.agent, ...(init.timeoutMs ? { timeout: init.timeoutMs } : {}) },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8"), answeredAt: performance.now() }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`timeout after ${init.timeoutMs} ms`)));
    outgoing.on("error", reject);
    outgoing.end(init.body);
  });
}

function isConnectionReset(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE";
}

export type StreamEvent = { type: string; data: string; at: number };

export type EventStream = {
  /** Resolves once the answer's headers are in (rejects on a non-200 answer or a transport error). */
  opened: Promise<void>;
  /** Resolves when the server ends the stream or `close()` is called. */
  ended: Promise<void>;
  close(): void;
};

/**
 * The parts of a text/event-stream we need: `event:` and `data:` lines, blocks ending in a blank
 * line; comments (`: ping`) and `retry:` are skipped. Only "\n" line ends, as the app writes them.
 */
function parseEventBlocks(buffer: string, at: number, emit: (event: StreamEvent) => void): string {
  let rest = buffer;
  for (let end = rest.indexOf("\n\n"); end !== -1; end = rest.indexOf("\n\n")) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let type = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length) emit({ type, data: data.join("\n"), at });
  }
  return rest;
}

/**
 * One virtual browser: its cookie jar (the binding cookie) and its own keep-alive agent, so the
 * server sees one connection per browser, as with real ones.
 */
export class LiveBrowser {
  readonly jar = new CookieJar();
  readonly agent = new Agent({ keepAlive: true, maxSockets: 6 });

  constructor(
    readonly appUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * A request to the app with this browser's cookies; `via` overrides the agent (e.g. a shared
   * setup agent). `deadline: false` waits as long as it takes, as a page's fetch does.
   */
  async send(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string; via?: Agent; deadline?: boolean } = {},
  ): Promise<HttpAnswer> {
    const url = new URL(path, this.appUrl);
    const attempt = () => {
      const cookie = this.jar.getCookieStringSync(url);
      return sendRequest(url, {
        method: init.method,
        headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
        body: init.body,
        agent: init.via ?? this.agent,
        timeoutMs: init.deadline === false ? undefined : this.timeoutMs,
      });
    };
    let answer: HttpAnswer;
    try {
      answer = await attempt();
    } catch (error) {
      // A kept-alive socket the server closed just as we reused it; browsers retry these too.
      if ((init.method ?? "GET") !== "GET" || !isConnectionReset(error)) throw error;
      answer = await attempt();
    }
    const setCookies = answer.headers["set-cookie"];
    // A cookie the jar refuses is dropped, as a browser drops it.
    for (const setCookie of setCookies ?? []) this.jar.setCookieSync(setCookie, url, { ignoreError: true });
    return answer;
  }

  /** Opens a Server-Sent Events stream; `onEvent` gets each event with the time its bytes arrived. */
  openEventStream(path: string, onEvent: (event: StreamEvent) => void): EventStream {
    const url = new URL(path, this.appUrl);
    const cookie = this.jar.getCookieStringSync(url);
    let close = () => {};
    let markOpened: () => void = () => {};
    let failOpen: (error: Error) => void = () => {};
    let markEnded: () => void = () => {};
    const opened = new Promise<void>((resolve, reject) => {
      markOpened = resolve;
      failOpen = reject;
    });
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    // Only the headers have a deadline: an open stream is meant to stay quiet for long stretches.
    const outgoing = request(url, { headers: { accept: "text/event-stream", ...(cookie ? { cookie } : {}) }, agent: this.agent }, (response) => {
      clearTimeout(headerDeadline);
      if (response.statusCode !== 200) {
        response.resume();
        failOpen(new Error(`events: HTTP ${response.statusCode}`));
        markEnded();
        return;
      }
      markOpened();
      response.setEncoding("utf8");
      let buffer = "";
      response.on("data", (chunk: string) => {
        buffer = parseEventBlocks(buffer + chunk, performance.now(), onEvent);
      });
      response.on("end", markEnded);
      response.on("close", markEnded);
      response.on("error", markEnded);
    });
    const headerDeadline = setTimeout(() => outgoing.destroy(new Error(`events: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    outgoing.on("error", (error) => {
      clearTimeout(headerDeadline);
      failOpen(error);
      markEnded();
    });
    outgoing.end();
    close = () => {
      clearTimeout(headerDeadline);
      outgoing.destroy();
      markEnded();
    };
    return { opened, ended, close: () => close() };
  }

  /** Closes this browser's connections. */
  dispose(): void {
    this.agent.destroy();
  }
}

export type Poller = { stop(): void; readonly completedPolls: number; readonly skippedTicks: number; readonly errors: number };

/** Shared by all pollers of a run: polls out right now, and a switch that holds every poller's ticks. */
export type PollGate = { paused: boolean; inFlight: number };

/**
 * Polls `path` on a fixed 1 s timer starting at a random phase, like `setInterval` in a page.
 * A tick that finds the previous poll still unanswered is skipped rather than stacked. Polls have
 * no deadline: a client that gave up on slow answers and asked again on a new connection would
 * turn a saturated server into one that only works for clients that already left. While
 * `gate.paused`, ticks are skipped (and counted as skipped).
 */
export function startPolling(browser: LiveBrowser, path: string, intervalMs: number, gate: PollGate, onAnswer: (answer: HttpAnswer) => void): Poller {
  let stopped = false;
  let inFlight = false;
  let timer: NodeJS.Timeout | undefined;
  const counts = { completedPolls: 0, skippedTicks: 0, errors: 0 };
  const phase = Math.random() * intervalMs;
  const startAt = performance.now() + phase;
  let tick = 0;
  const fire = () => {
    if (stopped) return;
    if (inFlight || gate.paused) {
      counts.skippedTicks++;
    } else {
      inFlight = true;
      gate.inFlight++;
      browser
        .send(path, { deadline: false })
        .then(
          (answer) => {
            counts.completedPolls++;
            if (!stopped) onAnswer(answer);
          },
          () => void counts.errors++,
        )
        .finally(() => {
          inFlight = false;
          gate.inFlight--;
        });
    }
    tick++;
    timer = setTimeout(fire, Math.max(0, startAt + tick * intervalMs - performance.now()));
  };
  timer = setTimeout(fire, phase);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    get completedPolls() {
      return counts.completedPolls;
    },
    get skippedTicks() {
      return counts.skippedTicks;
    },
    get errors() {
      return counts.errors;
    },
  };
}
