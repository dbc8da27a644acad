"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { useSession } from "../shell/session.tsx";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { formatBudget, formatBurn, formatSli } from "../slo/slo-view.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, ErrorState, Loading, Panel } from "../ui/states.tsx";
import { MiniTopology } from "./mini-topology.tsx";
import { changeRows, statusBadge, traceHref, type TicketContextLike } from "./ticket-view.ts";

/** What the manager stores beyond the view's needs; read loosely (old tickets may lack newer fields). */
interface StoredContext extends TicketContextLike {
  slo: { namespace: string; name: string; objective: number; window: string; indicator: string; sli: number | null; budgetRemaining: number | null; exhaustsAt: string | null; alert: { pair: string; severity: string; longWindow: string; shortWindow: string; longBurn: number | null; shortBurn: number | null; threshold: number } | null } | null;
  rollouts: { available: boolean; note: string; items: { namespace: string; name: string; step: string; phase: string }[] };
  links: { label: string; url: string }[];
  alertmanager?: { labels: Record<string, string>; annotations: Record<string, string>; generatorURL: string };
}

function Actions({ id, status, namespace }: { id: string; status: string; namespace: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const [comment, setComment] = useState("");
  const done = { onSuccess: () => refreshAfterChange(queryClient, { queryKey: trpc.tickets.pathKey() }) };
  const ack = useMutation(trpc.tickets.acknowledge.mutationOptions(done));
  const assign = useMutation(trpc.tickets.assign.mutationOptions(done));
  const add = useMutation(trpc.tickets.comment.mutationOptions({ onSuccess: async () => (setComment(""), await done.onSuccess()) }));
  const close = useMutation(trpc.tickets.close.mutationOptions(done));
  if (!session.canEdit(namespace ?? "default")) return <p className="muted">Operators of this namespace acknowledge, assign and close tickets.</p>;
  const failure = [ack, assign, add, close].map((m) => m.error).find(Boolean);
  const onComment = (e: FormEvent) => {
    e.preventDefault();
    if (comment.trim()) add.mutate({ id, body: comment });
  };
  return (
    <div className="stack">
      <div className="toolbar">
        <button type="button" className="btn" disabled={status !== "OPEN" || ack.isPending} onClick={() => ack.mutate({ id })}>
          Acknowledge
        </button>
        <button type="button" className="btn" disabled={status === "CLOSED" || assign.isPending} onClick={() => assign.mutate({ id, assignee: session.me.user.username })}>
          Assign to me
        </button>
        <button type="button" className="btn" disabled={status === "CLOSED" || close.isPending} onClick={() => close.mutate({ id, body: "" })}>
          Close
        </button>
      </div>
      <form onSubmit={onComment} className="stack" aria-label="Comment">
        <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={3} placeholder="What you found, what you did" aria-label="Comment" />
        <button type="submit" className="btn btn-primary" disabled={add.isPending || !comment.trim()}>
          Comment
        </button>
      </form>
      {failure ? (
        <p className="field-error" role="alert">
          {toApiFailure(failure).message}
        </p>
      ) : null}
    </div>
  );
}

/** One ticket with the context captured when it opened: the SLO's numbers, the neighbourhood, preceding changes, rollouts, failing traces. */
export function TicketPage() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const number = Number(params.get("number"));
  const query = useQuery(trpc.tickets.get.queryOptions({ number }, { enabled: Number.isInteger(number) && number > 0, refetchInterval: 15_000 }));
  if (!(Number.isInteger(number) && number > 0)) return <ErrorState error={new Error("Open a ticket from the Tickets page.")} title="No ticket selected" />;
  if (query.isPending) return <Loading what={`ticket #${number}`} />;
  if (query.isError || !query.data) return <ErrorState error={query.error} title={`Could not load ticket #${number}`} onRetry={() => void query.refetch()} />;
  const t = query.data;
  const context = t.context as unknown as StoredContext;
  const badge = statusBadge(t.status);
  const slo = context.slo;
  return (
    <>
      <div className="page-header">
        <h1>
          #{t.number} {t.title}{" "}
          <span className="badge" data-tone={badge.level === "muted" ? "info" : badge.level} data-testid="ticket-status">
            {badge.label}
          </span>
        </h1>
        <Link href={hrefWithFilters("/tickets", params)}>All tickets</Link>
      </div>
      <p className="muted">
        {t.severity} · opened {formatDateTime(t.openedAt)} · fired {t.fireCount}× {t.acknowledgedBy ? `· acknowledged by ${t.acknowledgedBy}` : ""} {t.assignee ? `· assigned to ${t.assignee}` : ""}
      </p>
      <div className="grid-2">
        <Panel title="At breach time" id="ticket-slo-heading">
          {slo ? (
            <div data-testid="ticket-slo">
              <p>
                <Link href={hrefWithFilters("/slos/detail", params, { namespace: slo.namespace, name: slo.name })}>
                  SLO {slo.namespace}/{slo.name}
                </Link>
                : {slo.objective} % over {slo.window}, {slo.indicator}
              </p>
              <DataTable columns={[{ label: "SLI", numeric: true }, { label: "Budget left", numeric: true }, "Alert", { label: "Long window", numeric: true }, { label: "Short window", numeric: true }]} testId="ticket-slo-numbers">
                <tr>
                  <td className="num">{formatSli(slo.sli)}</td>
                  <td className="num">{formatBudget(slo.budgetRemaining)}</td>
                  <td>{slo.alert ? `${slo.alert.severity} ${slo.alert.pair} (threshold ${slo.alert.threshold}×)` : "—"}</td>
                  <td className="num">{slo.alert ? `${formatBurn(slo.alert.longBurn)} over ${slo.alert.longWindow}` : "—"}</td>
                  <td className="num">{slo.alert ? `${formatBurn(slo.alert.shortBurn)} over ${slo.alert.shortWindow}` : "—"}</td>
                </tr>
              </DataTable>
              {slo.exhaustsAt ? <p className="muted">At that rate the budget would run out {formatDateTime(new Date(slo.exhaustsAt))}.</p> : null}
            </div>
          ) : (
            <p className="muted">This ticket is not tied to a Weft SLO.</p>
          )}
          {context.alertmanager ? (
            <details>
              <summary>Alertmanager alert</summary>
              <pre>{JSON.stringify(context.alertmanager.labels, null, 2)}</pre>
            </details>
          ) : null}
          <ul className="inline-links">
            {context.links.map((l) => (
              <li key={l.url}>
                <a href={l.url}>{l.label}</a>
              </li>
            ))}
          </ul>
        </Panel>
        <Panel title="Work on it" id="ticket-actions-heading">
          <Actions id={t.id} status={t.status} namespace={t.namespace} />
        </Panel>
      </div>
      <Panel title="Neighbourhood (the hour before the breach)" id="ticket-topology-heading">
        <MiniTopology context={context} />
      </Panel>
      <div className="grid-2">
        <Panel title="Changes before the breach" id="ticket-changes-heading">
          {context.changes.length === 0 ? (
            <Empty title="No change to the service or its neighbours before the breach" />
          ) : (
            <DataTable columns={["When", "What", "Who", "Why"]} testId="ticket-changes">
              {changeRows(context).map((c) => (
                <tr key={`${c.kind}/${c.namespace}/${c.name}#${c.revision}`}>
                  <td title={formatDateTime(new Date(c.at))}>{c.when}</td>
                  <td>
                    <Link href={c.href}>
                      {c.kind} {c.namespace}/{c.name} rev {c.revision}
                    </Link>{" "}
                    <span className="muted">{c.action}</span>
                  </td>
                  <td>{c.author}</td>
                  <td>{c.message || <span className="muted">—</span>}</td>
                </tr>
              ))}
            </DataTable>
          )}
          <p className="muted">Rollouts: {context.rollouts.available ? (context.rollouts.items.length ? context.rollouts.items.map((r) => `${r.namespace}/${r.name} (${r.phase}, ${r.step})`).join(", ") : "none running") : context.rollouts.note}.</p>
        </Panel>
        <Panel title="Failing traces" id="ticket-traces-heading">
          {context.exemplars.length === 0 || !context.service ? (
            <Empty title="No failing trace was recorded" />
          ) : (
            <ul data-testid="ticket-traces">
              {context.exemplars.map((e) => (
                <li key={e.traceId}>
                  <Link href={traceHref(e, context.service!)}>
                    <code>{e.traceId}</code>
                  </Link>{" "}
                  <span className="muted">
                    {e.service} · {e.statusCode ?? "no response"} · {e.durationMs.toFixed(1)} ms · {formatDateTime(new Date(e.at))}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Panel>
      </div>
      <Panel title="Timeline" id="ticket-comments-heading">
        <ol className="timeline" data-testid="ticket-timeline">
          {t.comments.map((c) => (
            <li key={String(c.id)}>
              <span className="muted">{formatDateTime(c.at)}</span> <strong>{c.authorName}</strong> <span className="badge" data-tone="info">{c.kind}</span>
              <p>{c.body}</p>
            </li>
          ))}
        </ol>
      </Panel>
    </>
  );
}
