"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { DataTable } from "../ui/data-table.tsx";
import { Empty, QueryState } from "../ui/states.tsx";
import { faultSentences, moveSentence, predictFault, predictShift, type FaultImpact } from "./predicted-impact.ts";

const HOUR = 3_600_000;

/**
 * The dry run's predicted impact of a route edit: the workloads that really
 * called the service in the last hour (telemetry rollups), their request
 * rates, the requests per minute that would have gone to another version,
 * and the share a fault would have failed or delayed. `before` is null for
 * a new route (nothing to shift from; a fault still has an impact).
 */
export function PredictedImpactPanel({ before, after }: { before: unknown; after: unknown }) {
  const trpc = useTRPC();
  const namespace = (after as { metadata?: { namespace?: string } }).metadata?.namespace;
  // The window is fixed when the preview opens: the numbers hold still while someone reads them.
  const [window] = useState(() => ({ from: new Date(Date.now() - HOUR), to: new Date() }));
  const edges = useQuery(trpc.telemetry.edges.queryOptions({ ...window, ...(namespace ? { namespace } : {}) }));
  const impact = useMemo(() => (edges.data && before ? predictShift(before as never, after as never, edges.data.edges) : null), [before, after, edges.data]);
  const fault = useMemo(() => (edges.data ? predictFault(after as never, edges.data.edges) : null), [after, edges.data]);
  // A new route without a fault has nothing to compare with.
  if (!before && predictFault(after as never, []) === null) return null;
  return (
    <section className="stack" aria-labelledby="predicted-impact-heading" data-testid="predicted-impact">
      <h4 id="predicted-impact-heading" style={{ margin: 0 }}>
        Predicted impact on the last hour&apos;s traffic
      </h4>
      <QueryState query={edges} what="the last hour's traffic">
        {() =>
          fault && (!impact || impact.callers.every((c) => c.moves.length === 0)) ? (
            <FaultTable fault={fault} />
          ) : !impact ? (
            <p className="muted">This route has no service to predict for.</p>
          ) : impact.callers.length === 0 ? (
            <Empty title={`Nobody called ${impact.service.namespace}/${impact.service.name} in the last hour`}>No request would have been handled differently.</Empty>
          ) : (
            <>
              <p className="muted">
                Workloads that called {impact.service.namespace}/{impact.service.name} in the last hour (rule {impact.rule + 1}; shares {shareText(impact.before)} → {shareText(impact.after)}).
              </p>
              <DataTable columns={["Caller", { label: "req/min", numeric: true }, "Would move"]} testId="impact-callers">
                {impact.callers.map((c) => (
                  <tr key={c.caller}>
                    <td>{c.caller}</td>
                    <td className="num">{c.perMinute}</td>
                    <td data-testid="impact-moves">{c.moves.length === 0 ? <span className="muted">nothing</span> : c.moves.map((m) => <div key={m.to}>{moveSentence(c, m)}</div>)}</td>
                  </tr>
                ))}
              </DataTable>
              {fault ? <FaultTable fault={fault} /> : null}
            </>
          )
        }
      </QueryState>
    </section>
  );
}

function shareText(shares: Record<string, number>): string {
  const parts = Object.entries(shares).map(([v, s]) => `${v || "any"} ${Math.round(s * 1000) / 10} %`);
  return parts.length ? parts.join(" / ") : "none";
}

/** Per caller, what the route's fault would have done to its last hour of requests. */
function FaultTable({ fault }: { fault: FaultImpact }) {
  const { namespace, name } = fault.service;
  if (fault.callers.length === 0) return <Empty title={`Nobody called ${namespace}/${name} in the last hour`}>No request would have failed or been delayed.</Empty>;
  return (
    <>
      <p className="muted">
        Fault of rule {fault.rule + 1} applied to the workloads that called {namespace}/{name} in the last hour
        {fault.headers.length > 0 ? ` — only requests with ${fault.headers.join(" and ")}, which the rollups do not record: upper bounds` : ""}.
      </p>
      <DataTable columns={["Caller", { label: "req/min", numeric: true }, "With this fault"]} testId="impact-fault">
        {fault.callers.map((c) => (
          <tr key={c.caller}>
            <td>{c.caller}</td>
            <td className="num">{c.perMinute}</td>
            <td>
              {faultSentences(fault, c).map((t) => (
                <div key={t} data-testid="impact-fault-sentence">
                  {t}
                </div>
              ))}
            </td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
