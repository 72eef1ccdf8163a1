import { notFound } from "next/navigation";
import { getEnv } from "@/lib/env";
import { listOutbox } from "@/lib/messaging/outbox";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The development outbox: the SMS and mail the dev providers "sent". Absent in production. */
export default async function OutboxPage({ searchParams }: { searchParams: SearchParams }) {
  if (!getEnv().devTools) notFound();
  const params = await searchParams;
  const to = typeof params.to === "string" && params.to.length <= 320 ? params.to : undefined;
  const messages = await listOutbox({ ...(to ? { to } : {}), limit: 50 });
  const format = new Intl.DateTimeFormat("zh-CN", { dateStyle: "short", timeStyle: "medium", timeZone: "Asia/Shanghai" });
  return (
    <div className="card wide">
      <h1>Dev outbox</h1>
      <p className="muted">SMS and email sent by the development providers (SMS_PROVIDER / EMAIL_PROVIDER = outbox). Never shown in production.</p>
      <table>
        <thead>
          <tr>
            <th>Time</th>
            <th>Channel</th>
            <th>To</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {messages.map((message) => (
            <tr key={message.id} data-testid="outbox-row">
              <td>{format.format(message.createdAt)}</td>
              <td>{message.channel}</td>
              <td>{message.to}</td>
              <td>
                {message.subject && <strong>{message.subject}</strong>}
                <pre style={{ whiteSpace: "pre-wrap", margin: 0 }}>{message.body}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
