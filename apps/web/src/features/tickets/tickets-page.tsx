"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatRelative } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { statusBadge, type TicketStatusLike } from "./ticket-view.ts";

const FILTERS: { label: string; status?: TicketStatusLike[] }[] = [{ label: "Not closed", status: ["OPEN", "ACKNOWLEDGED", "RESOLVED"] }, { label: "Open", status: ["OPEN", "ACKNOWLEDGED"] }, { label: "All" }];

/** Weft's tickets, newest first. */
export function TicketsPage() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const [filter, setFilter] = useState(0);
  const status = FILTERS[filter]?.status;
  const query = useQuery(trpc.tickets.list.queryOptions({ ...(status ? { status } : {}), limit: 200 }, { refetchInterval: 15_000 }));
  const now = Date.now();
  return (
    <>
      <h1>Tickets</h1>
      <Panel
        title="Tickets"
        id="tickets-heading"
        actions={
          <div className="segmented" role="group" aria-label="Which tickets">
            {FILTERS.map((f, i) => (
              <button key={f.label} type="button" className="btn btn-small" aria-pressed={filter === i} onClick={() => setFilter(i)}>
                {f.label}
              </button>
            ))}
          </div>
        }
      >
        <QueryState query={query} what="tickets" isEmpty={(d) => d.length === 0} empty={<Empty title="No tickets">Tickets open when an SLO's ticket alert fires, or when Alertmanager posts an alert.</Empty>}>
          {(tickets) => (
            <DataTable columns={["#", "Ticket", "Status", "Severity", "Service", "Opened", { label: "Fired", numeric: true }, "Assignee"]} testId="tickets-table">
              {tickets.map((t) => {
                const badge = statusBadge(t.status);
                return (
                  <tr key={t.id}>
                    <td>
                      <Link href={hrefWithFilters("/tickets/detail", params, { number: String(t.number) })}>#{t.number}</Link>
                    </td>
                    <th scope="row">
                      <Link href={hrefWithFilters("/tickets/detail", params, { number: String(t.number) })}>{t.title}</Link>
                      <div className="muted">{t.source === "alertmanager" ? "from Alertmanager" : "from an SLO"}</div>
                    </th>
                    <td>
                      <span className="badge" data-tone={badge.level === "muted" ? "info" : badge.level}>
                        {badge.label}
                      </span>
                    </td>
                    <td>{t.severity}</td>
                    <td>{t.namespace && t.service ? `${t.namespace}/${t.service}` : (t.namespace ?? "—")}</td>
                    <td>{formatRelative(t.openedAt, now)}</td>
                    <td className="num">{t.fireCount}</td>
                    <td>{t.assignee ?? <span className="muted">nobody</span>}</td>
                  </tr>
                );
              })}
            </DataTable>
          )}
        </QueryState>
      </Panel>
    </>
  );
}
