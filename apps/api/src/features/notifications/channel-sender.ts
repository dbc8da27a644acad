// Sends one event to one channel over HTTP, and says how it went. GitHub
// and Jira keep an issue per incident: the first trigger opens it, later
// triggers and acknowledgements comment, a resolve comments and closes it.
// Secrets are used here and nowhere else; they never reach a log line or an
// error message (errors name the channel type, the step and the status).
import type { NotificationChannelSpec } from "@weft/mesh-model";
import { issueBody, issueComment, issueTitle, jiraIssueBody, pagerDutyBody, slackBody, webhookBody, webhookHeaders } from "./channel-requests.ts";
import { judgeStatus, type AttemptOutcome } from "./delivery-plan.ts";
import type { NotificationEvent } from "./notifier.ts";
import { outboundRefusalOf } from "../../transport/outbound-fetch.ts";

/** A channel ready to send: its settings and its opened secrets. */
export interface OpenChannel {
  type: NotificationChannelSpec["type"];
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
  timeoutMs: number;
}

/** The outside issue of an incident, as the channel last left it. */
export interface IncidentRef {
  externalId: string;
  url: string | null;
  state: "open" | "closed";
}

export interface SendResult {
  outcome: AttemptOutcome;
  /** The incident after this attempt (GitHub, Jira); undefined when the channel keeps none or nothing changed. */
  incident?: IncidentRef;
  durationMs: number;
}

class StepFailed extends Error {
  constructor(readonly outcome: AttemptOutcome) {
    super(outcome.ok ? "ok" : outcome.error);
  }
}

/** One HTTP call with the attempt's deadline; a non-2xx answer or no answer throws StepFailed. */
async function call(send: typeof fetch, step: string, url: string, init: { method: string; headers: Record<string, string>; body?: string }, deadline: number): Promise<{ status: number; json: unknown }> {
  const remaining = deadline - Date.now();
  let res: Response;
  try {
    if (remaining <= 0) throw new DOMException("timed out", "TimeoutError");
    res = await send(url, { ...init, signal: AbortSignal.timeout(remaining), redirect: "error" });
  } catch (err) {
    // The egress policy refused the address: retrying will not change that. Its message names the host, never the path.
    const refused = outboundRefusalOf(err);
    if (refused) throw new StepFailed({ ok: false, retryable: false, status: null, error: `${step}: ${refused.message}` });
    const timedOut = err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError");
    // The message names the step, never the URL (a Slack URL or a query string may hold the credential).
    throw new StepFailed({ ok: false, retryable: true, status: null, error: timedOut ? `${step}: no answer within the timeout` : `${step}: ${err instanceof Error && err.cause instanceof Error ? err.cause.message : "connection failed"}` });
  }
  const text = await res.text().catch(() => "");
  const judged = judgeStatus(res.status);
  if (!judged.ok) throw new StepFailed({ ...judged, error: `${step}: the receiver answered ${res.status}` });
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json };
}

/**
 * Sends `event` to `channel`; never throws. `send` is the manager's outbound
 * fetch (transport/outbound-fetch.ts: only where the egress policy allows).
 * `signedAt` is when the attempt is signed (the real clock: receivers check it).
 */
export async function sendToChannel(send: typeof fetch, channel: OpenChannel, event: NotificationEvent, incident: IncidentRef | null, signedAt: Date = new Date()): Promise<SendResult> {
  const started = Date.now();
  const deadline = started + channel.timeoutMs;
  try {
    const { status, incident: next } = await dispatch(send, channel, event, incident, deadline, signedAt);
    return { outcome: { ok: true, status }, ...(next ? { incident: next } : {}), durationMs: Date.now() - started };
  } catch (err) {
    const outcome: AttemptOutcome = err instanceof StepFailed ? err.outcome : { ok: false, retryable: true, status: null, error: err instanceof Error ? err.message : String(err) };
    return { outcome, durationMs: Date.now() - started };
  }
}

// One branch per channel type, each a few calls; kept together so the incident handling of GitHub and Jira reads side by side.
async function dispatch(send: typeof fetch, channel: OpenChannel, event: NotificationEvent, incident: IncidentRef | null, deadline: number, signedAt: Date): Promise<{ status: number; incident?: IncidentRef }> {
  const json = (body: unknown) => JSON.stringify(body);
  switch (channel.type) {
    case "WEBHOOK": {
      const body = webhookBody(event);
      const headers = { ...webhookHeaders(event.id, body, channel.secrets.signingSecrets as string[], signedAt), "user-agent": "weft-manager" };
      return call(send, "webhook", String(channel.config.url), { method: "POST", headers, body }, deadline);
    }
    case "PAGERDUTY": {
      const body = pagerDutyBody(event, String(channel.secrets.routingKey), String(channel.config.source ?? "weft"));
      return call(send, "pagerduty enqueue", String(channel.config.url), { method: "POST", headers: { "content-type": "application/json" }, body: json(body) }, deadline);
    }
    case "SLACK":
      return call(send, "slack webhook", String(channel.secrets.webhookUrl), { method: "POST", headers: { "content-type": "application/json" }, body: json(slackBody(event)) }, deadline);
    case "GITHUB": {
      const api = `${String(channel.config.apiUrl).replace(/\/$/, "")}/repos/${String(channel.config.repository)}/issues`;
      const headers = { authorization: `Bearer ${String(channel.secrets.token)}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "content-type": "application/json", "user-agent": "weft-manager" };
      if (!incident || incident.state === "closed") {
        if (event.action !== "trigger") return { status: 204 }; // nothing open to acknowledge or resolve
        const created = await call(send, "github create issue", api, { method: "POST", headers, body: json({ title: issueTitle(event), body: issueBody(event), labels: channel.config.labels ?? ["weft"] }) }, deadline);
        const issue = created.json as { number?: number; html_url?: string } | null;
        if (typeof issue?.number !== "number") throw new StepFailed({ ok: false, retryable: false, status: created.status, error: "github create issue: the answer has no issue number" });
        return { status: created.status, incident: { externalId: String(issue.number), url: issue.html_url ?? null, state: "open" } };
      }
      const comment = await call(send, "github comment", `${api}/${incident.externalId}/comments`, { method: "POST", headers, body: json({ body: issueComment(event) }) }, deadline);
      if (event.action !== "resolve") return { status: comment.status };
      const closed = await call(send, "github close issue", `${api}/${incident.externalId}`, { method: "PATCH", headers, body: json({ state: "closed", state_reason: "completed" }) }, deadline);
      return { status: closed.status, incident: { ...incident, state: "closed" } };
    }
    case "JIRA": {
      const base = `${String(channel.config.baseUrl).replace(/\/$/, "")}/rest/api/2/issue`;
      const token = String(channel.secrets.token);
      const authorization = channel.config.email ? `Basic ${Buffer.from(`${String(channel.config.email)}:${token}`).toString("base64")}` : `Bearer ${token}`;
      const headers = { authorization, accept: "application/json", "content-type": "application/json" };
      if (!incident || incident.state === "closed") {
        if (event.action !== "trigger") return { status: 204 };
        const created = await call(send, "jira create issue", base, { method: "POST", headers, body: json(jiraIssueBody(event, { projectKey: String(channel.config.projectKey), issueType: String(channel.config.issueType ?? "Bug") })) }, deadline);
        const issue = created.json as { key?: string; self?: string } | null;
        if (typeof issue?.key !== "string") throw new StepFailed({ ok: false, retryable: false, status: created.status, error: "jira create issue: the answer has no issue key" });
        return { status: created.status, incident: { externalId: issue.key, url: `${String(channel.config.baseUrl).replace(/\/$/, "")}/browse/${issue.key}`, state: "open" } };
      }
      const comment = await call(send, "jira comment", `${base}/${incident.externalId}/comment`, { method: "POST", headers, body: json({ body: issueComment(event) }) }, deadline);
      if (event.action !== "resolve") return { status: comment.status };
      const listed = await call(send, "jira list transitions", `${base}/${incident.externalId}/transitions`, { method: "GET", headers }, deadline);
      const wanted = String(channel.config.doneTransition ?? "Done").toLowerCase();
      const transition = ((listed.json as { transitions?: { id: string; name: string }[] } | null)?.transitions ?? []).find((t) => t.name.toLowerCase() === wanted);
      if (!transition) throw new StepFailed({ ok: false, retryable: false, status: listed.status, error: `jira: issue ${incident.externalId} has no transition named "${String(channel.config.doneTransition ?? "Done")}"` });
      const moved = await call(send, "jira transition", `${base}/${incident.externalId}/transitions`, { method: "POST", headers, body: json({ transition: { id: transition.id } }) }, deadline);
      return { status: moved.status, incident: { ...incident, state: "closed" } };
    }
  }
}
