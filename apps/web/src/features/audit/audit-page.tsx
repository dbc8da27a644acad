"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { useSession } from "../shell/session.tsx";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, ErrorState, QueryState } from "../ui/states.tsx";
import { detailLines } from "./audit-details.ts";
import { auditInput, OUTCOMES, parseAuditFilters, type AuditFilters } from "./audit-query.ts";

const TONE = { SUCCESS: "ok", FAILURE: "warning", DENIED: "critical" } as const;

/** The audit log (admins): filters in the URL, the shell's time range, cursor paging. */
export function AuditPage() {
  const trpc = useTRPC();
  const session = useSession();
  const params = useSearchParams();
  const router = useRouter();
  const { filters: view } = useViewFilters();
  const window = useTimeWindow(view, 60_000);
  const filters = parseAuditFilters(params);
  const [draft, setDraft] = useState<AuditFilters>(filters);
  // Cursor stack: earlier pages' cursors, so "Newer" can go back.
  const [cursors, setCursors] = useState<bigint[]>([]);
  const before = cursors[cursors.length - 1] ?? null;
  const query = useQuery(trpc.audit.list.queryOptions(auditInput(filters, window, before), { enabled: session.isAdmin, placeholderData: (p) => p }));
  if (!session.isAdmin) return <ErrorState error={new Error("The audit log names everyone's actions: only admins can read it.")} title="Admins only" />;
  const apply = () => {
    const next = new URLSearchParams(params.toString());
    for (const key of ["actor", "action", "target", "outcome"] as const) {
      if (draft[key]) next.set(key, draft[key]);
      else next.delete(key);
    }
    setCursors([]);
    router.replace(`/audit?${next.toString()}`, { scroll: false });
  };
  return (
    <>
      <h1>Audit log</h1>
      <form
        className="toolbar"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <label>
          Actor
          <input value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} placeholder="username" />
        </label>
        <label>
          Action
          <input value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} placeholder="resources.* or auth.login" />
        </label>
        <label>
          Target
          <input value={draft.target} onChange={(e) => setDraft({ ...draft, target: e.target.value })} placeholder="shop/checkout" />
        </label>
        <label>
          Outcome
          <select value={draft.outcome} onChange={(e) => setDraft({ ...draft, outcome: e.target.value as AuditFilters["outcome"] })}>
            <option value="">Any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary">
          Filter
        </button>
      </form>
      <QueryState query={query} what="audit events" isEmpty={(d) => d.events.length === 0} empty={<Empty title="No events match">Widen the time range or clear a filter.</Empty>}>
        {(page) => (
          <>
            <DataTable columns={["When", "Actor", "Action", "Target", "Outcome", "Details"]} testId="audit-table" panel>
              {page.events.map((e) => (
                <tr key={String(e.id)}>
                  <td>{formatDateTime(e.at)}</td>
                  <td>{e.actorName}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ?? "—"}</td>
                  <td>
                    <span className="badge" data-tone={TONE[e.outcome]}>
                      {e.outcome.toLowerCase()}
                    </span>
                  </td>
                  <td>
                    {Object.keys(e.details).length ? (
                      <dl className="audit-details">
                        {detailLines(e.details).map((l) => (
                          <div key={l.path}>
                            <dt>{l.path}</dt>
                            <dd>{l.value}</dd>
                          </div>
                        ))}
                      </dl>
                    ) : null}
                    {e.ip ? <div className="muted">from {e.ip}</div> : null}
                  </td>
                </tr>
              ))}
            </DataTable>
            <nav className="row" aria-label="Audit pages">
              <button type="button" className="btn" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                Newer
              </button>
              <button type="button" className="btn" disabled={page.nextCursor === null} onClick={() => page.nextCursor !== null && setCursors([...cursors, page.nextCursor])}>
                Older
              </button>
            </nav>
          </>
        )}
      </QueryState>
    </>
  );
}
