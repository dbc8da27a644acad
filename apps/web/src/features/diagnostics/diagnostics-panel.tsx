"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { DataTable } from "../ui/data-table.tsx";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { aboutOf, codeInWords, diagnosticsForService, reportedBy, SEVERITY_TONE } from "./diagnostics-model.ts";

export const DIAGNOSTICS_REFRESH_MS = 15_000;

/**
 * What the compiler said while compiling the proxies' configs, as the agents
 * acknowledged it: one row per finding and cluster, the reason in words.
 * With `service`, only the findings about it (and about `resourceKeys`, the
 * resources that apply to it).
 */
export function DiagnosticsPanel({ service, resourceKeys = [] }: { service?: { namespace: string; name: string }; resourceKeys?: readonly string[] }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.diagnostics.list.queryOptions({}, { refetchInterval: DIAGNOSTICS_REFRESH_MS }));
  const rows = useMemo(() => {
    const all = query.data?.diagnostics ?? [];
    return service ? diagnosticsForService(all, service, resourceKeys) : all;
  }, [query.data, service, resourceKeys]);
  const stale = (query.data?.sources ?? []).filter((s) => !s.current && s.configVersion !== null);
  return (
    <Panel title={service ? "Compiler diagnostics about this service" : "Compiler diagnostics"} id="diagnostics-heading">
      <QueryState query={query} what="diagnostics" isEmpty={() => rows.length === 0} empty={<Empty title="The compiler reported nothing here">Endpoints left out, unexported services and settings without effect show here once an agent reports them.</Empty>}>
        {() => (
          <DataTable columns={["Severity", "Cluster", "Finding", "About", "Reason", "Reported by"]} testId="diagnostics">
            {rows.map((d, i) => (
              <tr key={i} data-testid="diagnostic" data-code={d.code}>
                <td>
                  <span className="badge" data-tone={SEVERITY_TONE[d.severity]}>
                    {d.severity}
                  </span>
                </td>
                <td>{d.cluster}</td>
                <td>
                  <code>{d.code}</code>
                  <span className="visually-hidden"> ({codeInWords(d.code)})</span>
                </td>
                <td>{aboutOf(d)}</td>
                <td>{d.message}</td>
                <td className="muted">
                  {d.proxyCount} {d.proxyCount === 1 ? "proxy" : "proxies"}: {reportedBy(d)}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
      {stale.length > 0 ? (
        <p className="muted">
          {stale.map((s) => `${s.cluster} reports config ${s.configVersion}`).join("; ")}; the mesh is at {String(query.data?.meshConfigVersion)}.
        </p>
      ) : null}
    </Panel>
  );
}
