"use client";

import { useActionState } from "react";
import { explainRidAction, type RidAnswer } from "./actions";

type Props = { attemptId: string; labels: { button: string; heading: string; hint: string } };

/** The "explain rid" button (a POST) and WeChat's answer beside our own message. */
export function ExplainRid({ attemptId, labels }: Props) {
  const [answer, action, pending] = useActionState<RidAnswer, FormData>(explainRidAction, { status: "idle" });
  return (
    <section data-testid="rid-wechat" data-status={answer.status}>
      <h3>{labels.heading}</h3>
      {answer.status === "ok" && (
        <dl className="admin-kv" data-testid="rid-answer">
          {answer.rows.map((row) => (
            <div key={row.label} style={{ display: "contents" }}>
              <dt>{row.label}</dt>
              <dd>{row.pre ? <pre>{row.value}</pre> : row.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {answer.status === "failed" && (
        <p className="notice error" role="status" data-testid="rid-failed">
          {answer.message}
        </p>
      )}
      <form action={action}>
        <input type="hidden" name="attemptId" value={attemptId} />
        <button type="submit" className="btn secondary small" disabled={pending} data-testid="explain-rid">
          {labels.button}
        </button>
      </form>
      <p className="muted">{labels.hint}</p>
    </section>
  );
}
