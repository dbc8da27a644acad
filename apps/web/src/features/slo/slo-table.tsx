"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../../trpc/context.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { formatBudget, formatBurn, formatExhaustion, formatSli, sloHealth, sortSlos, type SloRowLike } from "./slo-view.ts";

export const SLO_REFRESH_MS = 15_000;
const TONE = { ok: "ok", warning: "warning", critical: "critical", unknown: "info" } as const;

/** SLOs at a glance: status, SLI against the objective, budget left, burn now, when the budget runs out. */
export function SloTable({ rows, testId, showService = true }: { rows: readonly SloRowLike[]; testId: string; showService?: boolean }) {
  const params = useSearchParams();
  const now = Date.now();
  return (
    <DataTable columns={["SLO", ...(showService ? ["Service"] : []), "Status", { label: "SLI", numeric: true }, { label: "Objective", numeric: true }, { label: "Budget left", numeric: true }, { label: "Burn now", numeric: true }, "Runs out"]} testId={testId}>
      {sortSlos(rows).map((r) => {
        const health = sloHealth(r);
        const mesh = r.statuses[0];
        return (
          <tr key={`${r.namespace}/${r.name}`} data-testid="slo-row">
            <th scope="row">
              <Link href={hrefWithFilters("/slos/detail", params, { namespace: r.namespace, name: r.name })}>
                {r.namespace}/{r.name}
              </Link>
              <div className="muted">
                {r.indicator.type === "latency" ? `latency ≤ ${r.indicator.threshold}` : "availability"} · {r.window}
              </div>
            </th>
            {showService ? (
              <td>
                <Link href={hrefWithFilters("/services/detail", params, { service: `${r.service.namespace}/${r.service.name}` })}>
                  {r.service.namespace}/{r.service.name}
                </Link>
              </td>
            ) : null}
            <td>
              <span className="badge" data-tone={TONE[health.level]}>
                {health.label}
              </span>
            </td>
            <td className="num">{formatSli(mesh?.sli ?? null)}</td>
            <td className="num">{r.objective} %</td>
            <td className="num">{formatBudget(mesh?.budgetRemaining ?? null)}</td>
            <td className="num" title={mesh ? `over ${mesh.currentWindow}` : undefined}>
              {formatBurn(mesh?.burnRates[mesh.currentWindow] ?? null)}
            </td>
            <td>{formatExhaustion(mesh?.exhaustsAt ?? null, mesh?.budgetRemaining ?? null, now)}</td>
          </tr>
        );
      })}
    </DataTable>
  );
}

/** The SLOs panel of the overview and of a service's page. */
export function SloPanel({ service }: { service?: { namespace: string; name: string } }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const query = useQuery(trpc.slos.list.queryOptions(service ? { service } : {}, { refetchInterval: SLO_REFRESH_MS }));
  const create = hrefWithFilters("/policies/edit", params, { kind: "ServiceLevelObjective", ...(service ? { service: `${service.namespace}/${service.name}`, namespace: service.namespace } : {}) });
  return (
    <Panel title="Service level objectives" id={service ? "service-slos-heading" : "slos-heading"} actions={<Link href={create}>New SLO</Link>}>
      <QueryState query={query} what="SLOs" isEmpty={(d) => d.length === 0} empty={<Empty title="No SLOs yet">Define one: what share of requests must succeed (or be fast) over a rolling window.</Empty>}>
        {(rows) => <SloTable rows={rows} testId={service ? "service-slos" : "slos-table"} showService={!service} />}
      </QueryState>
    </Panel>
  );
}
