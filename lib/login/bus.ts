/**
 * Live delivery of login-ticket status changes to the browsers waiting on them.
 *
 * Every process keeps its own listeners in memory. What differs is how a change made in one
 * process reaches the others: not at all on the embedded database (there is only one process),
 * PostgreSQL LISTEN/NOTIFY with DATABASE_URL, or Redis pub/sub with REDIS_URL. In the shared
 * modes a publish goes out and comes back through the server, so every instance, the
 * publishing one included, delivers it the same way.
 */
import "server-only";
import pg from "pg";
import { createClient } from "redis";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";

export const TICKET_STATUSES = ["waiting", "scanned", "confirmed", "redeemed", "expired", "cancelled", "error"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketEvent = { id: string; status: TicketStatus };
type Listener = (event: TicketEvent) => void;

const CHANNEL = "login_tickets";

export type LoginBus = {
  kind: "memory" | "postgresql" | "redis";
  publish(event: TicketEvent): Promise<void>;
  /** Calls `listener` for each event of ticket `id` until the returned function is called. */
  subscribe(id: string, listener: Listener): () => void;
  close(): Promise<void>;
};

class Listeners {
  private readonly byId = new Map<string, Set<Listener>>();

  add(id: string, listener: Listener): () => void {
    let set = this.byId.get(id);
    if (!set) this.byId.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byId.delete(id);
    };
  }

  deliver(event: TicketEvent): void {
    for (const listener of this.byId.get(event.id) ?? []) listener(event);
  }

  get size(): number {
    return this.byId.size;
  }
}

function parseEvent(payload: string): TicketEvent | undefined {
  try {
    const value = JSON.parse(payload) as Partial<TicketEvent>;
    if (typeof value.id === "string" && TICKET_STATUSES.includes(value.status as TicketStatus)) return { id: value.id, status: value.status as TicketStatus };
  } catch {
    // fall through
  }
  logger.warn("login.bus.bad_payload", { bytes: payload.length });
  return undefined;
}

export function createMemoryBus(): LoginBus {
  const listeners = new Listeners();
  return {
    kind: "memory",
    async publish(event) {
      listeners.deliver(event);
    },
    subscribe: (id, listener) => listeners.add(id, listener),
    async close() {},
  };
}

/** LISTEN/NOTIFY on one dedicated connection per process; NOTIFY payloads are tiny JSON. */
export function createPostgresBus(connectionString: string): LoginBus {
  const listeners = new Listeners();
  const publisher = new pg.Pool({ connectionString, max: 4 });
  let listener: pg.Client | undefined;
  let closed = false;

  const connect = async (): Promise<void> => {
    const client = new pg.Client({ connectionString });
    client.on("notification", (message) => {
      const event = message.payload ? parseEvent(message.payload) : undefined;
      if (event) listeners.deliver(event);
    });
    client.on("error", (error) => {
      logger.warn("login.bus.pg_error", { error: error.message });
      listener = undefined;
      if (!closed) setTimeout(() => void ready.then(() => connect()).catch(() => undefined), 1000);
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
  };
  const ready = connect();

  return {
    kind: "postgresql",
    async publish(event) {
      await ready;
      await publisher.query("SELECT pg_notify($1, $2)", [CHANNEL, JSON.stringify(event)]);
    },
    subscribe: (id, fn) => listeners.add(id, fn),
    async close() {
      closed = true;
      await ready.catch(() => undefined);
      await listener?.end().catch(() => undefined);
      await publisher.end();
    },
  };
}

export function createRedisBus(url: string): LoginBus {
  const listeners = new Listeners();
  const publisher = createClient({ url });
  const subscriber = publisher.duplicate();
  publisher.on("error", (error: Error) => logger.warn("login.bus.redis_error", { error: error.message }));
  subscriber.on("error", (error: Error) => logger.warn("login.bus.redis_error", { error: error.message }));
  const ready = Promise.all([publisher.connect(), subscriber.connect()]).then(() =>
    subscriber.subscribe(CHANNEL, (payload: string) => {
      const event = parseEvent(payload);
      if (event) listeners.deliver(event);
    }),
  );
  return {
    kind: "redis",
    async publish(event) {
      await ready;
      await publisher.publish(CHANNEL, JSON.stringify(event));
    },
    subscribe: (id, fn) => listeners.add(id, fn),
    async close() {
      await ready.catch(() => undefined);
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}

const globalForBus = globalThis as typeof globalThis & { __wechatLoginBus?: LoginBus };

/** The bus of this process: Redis if configured, else PostgreSQL if configured, else in memory. */
export function getLoginBus(): LoginBus {
  if (!globalForBus.__wechatLoginBus) {
    const env = getEnv();
    globalForBus.__wechatLoginBus = env.redisUrl ? createRedisBus(env.redisUrl) : env.databaseUrl ? createPostgresBus(env.databaseUrl) : createMemoryBus();
  }
  return globalForBus.__wechatLoginBus;
}

export async function closeLoginBus(): Promise<void> {
  const bus = globalForBus.__wechatLoginBus;
  globalForBus.__wechatLoginBus = undefined;
  await bus?.close();
}
