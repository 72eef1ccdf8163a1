/**
 * What a parsed push means to the app: follow/scan events of a parametric QR code, unfollow, other
 * events and ordinary messages, each checked with zod before the login flow sees it.
 *
 * @see docs/wechat-protocol.md §B2 §B3
 */
import { z } from "zod";

// openids are 28 characters of [A-Za-z0-9_-]; the bound is loose so the emulator's ids fit too.
const wechatIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "not a WeChat id");
const createTimeSchema = z
  .string()
  .regex(/^[0-9]{1,12}$/, "CreateTime is not unix seconds")
  .transform((value) => Number(value));
const sceneKeySchema = z.string().max(256);
const ticketSchema = z.string().min(1).max(1024);

const pushBaseSchema = z.object({
  ToUserName: wechatIdSchema,
  FromUserName: wechatIdSchema,
  CreateTime: createTimeSchema,
});

/** Follow. Through a parametric QR code EventKey is `qrscene_<scene>` and Ticket is set; otherwise both are absent or empty. */
export const subscribeEventSchema = pushBaseSchema.extend({
  MsgType: z.literal("event"),
  Event: z.literal("subscribe"),
  EventKey: sceneKeySchema.optional(),
  Ticket: ticketSchema.optional().or(z.literal("")),
});
export type SubscribeEventFields = z.infer<typeof subscribeEventSchema>;

/** A follower scanned a parametric QR code: EventKey is the scene without prefix (an integer as text for `scene_id`). */
export const scanEventSchema = pushBaseSchema.extend({
  MsgType: z.literal("event"),
  Event: z.literal("SCAN"),
  EventKey: sceneKeySchema.min(1),
  Ticket: ticketSchema,
});
export type ScanEventFields = z.infer<typeof scanEventSchema>;

export const unsubscribeEventSchema = pushBaseSchema.extend({
  MsgType: z.literal("event"),
  Event: z.literal("unsubscribe"),
});
export type UnsubscribeEventFields = z.infer<typeof unsubscribeEventSchema>;

/** Any other event (CLICK, VIEW, LOCATION, TEMPLATESENDJOBFINISH, …), kept generic. */
export const otherEventSchema = pushBaseSchema.extend({
  MsgType: z.literal("event"),
  Event: z.string().min(1).max(64),
  EventKey: z.string().optional(),
});
export type OtherEventFields = z.infer<typeof otherEventSchema>;

/**
 * An ordinary message (text, image, voice, …). MsgId stays text: it is a 64-bit integer, beyond
 * what a JavaScript number holds exactly.
 */
export const messageSchema = pushBaseSchema.extend({
  MsgType: z
    .string()
    .regex(/^[A-Za-z_]{1,32}$/)
    .refine((value) => value !== "event", "events are not messages"),
  MsgId: z
    .string()
    .regex(/^[0-9]{1,20}$/, "MsgId is not an integer")
    .optional(),
  Content: z.string().optional(),
});
export type MessageFields = z.infer<typeof messageSchema>;

type PushEventBase = {
  /** The user's openid (FromUserName). */
  fromUser: string;
  /** The account's original id, `gh_…` (ToUserName). */
  toUser: string;
  /** Unix seconds. */
  createTime: number;
  /** Every field of the push, as parsed. */
  fields: Readonly<Record<string, string>>;
};

export type PushEvent =
  | (PushEventBase & { type: "subscribe"; scene: string | undefined; ticket: string | undefined; eventKey: string | undefined })
  | (PushEventBase & { type: "scan"; scene: string; ticket: string })
  | (PushEventBase & { type: "unsubscribe" })
  | (PushEventBase & { type: "event"; event: string; eventKey: string | undefined })
  | (PushEventBase & { type: "message"; msgType: string; msgId: string | undefined; content: string | undefined });

export type ParsePushEventResult = { ok: true; event: PushEvent } | { ok: false; error: string };

const SCENE_PREFIX = "qrscene_";

function base(parsed: z.infer<typeof pushBaseSchema>, fields: Readonly<Record<string, string>>): PushEventBase {
  return { fromUser: parsed.FromUserName, toUser: parsed.ToUserName, createTime: parsed.CreateTime, fields };
}

function failure(error: z.ZodError): ParsePushEventResult {
  return { ok: false, error: z.prettifyError(error) };
}

/**
 * Classifies parsed push fields. `scene` is the QR scene with the `qrscene_` prefix of subscribe
 * events stripped, so subscribe and SCAN give the same value; a subscribe without a `qrscene_`
 * EventKey (an ordinary follow) has no scene. A create call without the `scene` wrapper yields
 * scene `"0"` (§B2 pitfall); it is passed through for the caller to ignore.
 * Known events with missing or malformed fields are failures, not "other events".
 *
 * @see docs/wechat-protocol.md §B3 (event delivery)
 */
export function parsePushEvent(fields: Readonly<Record<string, string>>): ParsePushEventResult {
  if (fields.MsgType !== "event") {
    const parsed = messageSchema.safeParse(fields);
    if (!parsed.success) return failure(parsed.error);
    const { MsgType, MsgId, Content } = parsed.data;
    return { ok: true, event: { ...base(parsed.data, fields), type: "message", msgType: MsgType, msgId: MsgId, content: Content } };
  }

  switch (fields.Event) {
    case "subscribe": {
      const parsed = subscribeEventSchema.safeParse(fields);
      if (!parsed.success) return failure(parsed.error);
      const eventKey = parsed.data.EventKey || undefined;
      const scene = eventKey?.startsWith(SCENE_PREFIX) ? eventKey.slice(SCENE_PREFIX.length) || undefined : undefined;
      return { ok: true, event: { ...base(parsed.data, fields), type: "subscribe", scene, ticket: parsed.data.Ticket || undefined, eventKey } };
    }
    case "SCAN": {
      const parsed = scanEventSchema.safeParse(fields);
      if (!parsed.success) return failure(parsed.error);
      return { ok: true, event: { ...base(parsed.data, fields), type: "scan", scene: parsed.data.EventKey, ticket: parsed.data.Ticket } };
    }
    case "unsubscribe": {
      const parsed = unsubscribeEventSchema.safeParse(fields);
      if (!parsed.success) return failure(parsed.error);
      return { ok: true, event: { ...base(parsed.data, fields), type: "unsubscribe" } };
    }
    default: {
      const parsed = otherEventSchema.safeParse(fields);
      if (!parsed.success) return failure(parsed.error);
      return { ok: true, event: { ...base(parsed.data, fields), type: "event", event: parsed.data.Event, eventKey: parsed.data.EventKey } };
    }
  }
}

/**
 * The key to drop WeChat's retries by (it retries up to 3 times when no answer comes in 5 s):
 * `msg:<MsgId>` for messages that carry one, else `<FromUserName>:<CreateTime>` plus the event and
 * its key, as WxJava does: two different scans by one person within one second are two events,
 * while a retry repeats all of them.
 *
 * @see docs/wechat-protocol.md §B3 (reply rules / retries / dedup)
 */
export function pushDedupKey(event: PushEvent): string {
  if (event.type === "message" && event.msgId !== undefined) return `msg:${event.msgId}`;
  const base = `${event.fromUser}:${event.createTime}`;
  const eventName = event.fields.Event;
  return eventName === undefined ? base : `${base}:${eventName}:${event.fields.EventKey ?? ""}`;
}
