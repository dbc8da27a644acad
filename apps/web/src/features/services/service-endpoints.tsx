"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { DataTable } from "../ui/data-table.tsx";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { endpointsByCluster } from "./endpoint-health.ts";

export const ENDPOINTS_REFRESH_MS = 15_000;

/** Where a service runs: its endpoints per cluster, with readiness, as the agents last reported. */
export function ServiceEndpoints({ namespace, name }: { namespace: string; name: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.discovery.endpoints.queryOptions({ namespace, name }, { refetchInterval: ENDPOINTS_REFRESH_MS }));
  const groups = useMemo(() => (query.data ? endpointsByCluster(query.data.clusters, query.data.endpoints) : []), [query.data]);
  return (
    <Panel title="Endpoints by cluster" id="endpoints-heading">
      <QueryState
        query={query}
        what="endpoints"
        isEmpty={() => groups.length === 0}
        empty={<Empty title="No cluster reports this service">Agents report the services they discover; check the Clusters page for a disconnected agent.</Empty>}
      >
        {() => (
          <DataTable columns={["Cluster", "Address", "Version", "Zone", "Ready"]} testId="endpoints">
            {groups.flatMap((g) => [
              <tr key={`cluster:${g.cluster}`} data-testid="endpoints-cluster" data-cluster={g.cluster}>
                <th scope="rowgroup" colSpan={4}>
                  {g.cluster}
                </th>
                <td>
                  <span className="badge" data-tone={g.tone}>
                    {g.summary}
                  </span>
                </td>
              </tr>,
              ...g.endpoints.map((e) => (
                <tr key={`${g.cluster}/${e.address}:${e.port}`} data-testid="endpoint-row" data-ready={e.healthy ? "true" : "false"}>
                  <td />
                  <td>
                    {e.address}:{e.port}
                  </td>
                  <td>{e.version ?? "—"}</td>
                  <td>{e.zone ?? "—"}</td>
                  <td>
                    <span className="badge" data-tone={e.healthy ? "ok" : "critical"}>
                      {e.healthy ? "ready" : "not ready"}
                    </span>
                  </td>
                </tr>
              )),
            ])}
          </DataTable>
        )}
      </QueryState>
    </Panel>
  );
}
