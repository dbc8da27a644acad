"use client";

import { useQuery } from "@tanstack/react-query";
import { servicesReferencedBy } from "@weft/mesh-model";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatMs, formatPercent, formatRate } from "../ui/format.ts";
import { Empty, QueryState } from "../ui/states.tsx";
import { indexServices } from "./service-index.ts";

/** Every service seen in traffic or named by a resource, with its golden signals. */
export function ServicesPage() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const window = useTimeWindow(filters);
  const [search, setSearch] = useState("");
  const edges = useQuery(
    trpc.telemetry.edges.queryOptions(
      { from: window.from, to: window.to, ...(filters.cluster ? { cluster: filters.cluster } : {}), ...(filters.namespace ? { namespace: filters.namespace } : {}) },
      { refetchInterval: 15_000, placeholderData: (p) => p },
    ),
  );
  const resources = useQuery(trpc.resources.list.queryOptions({}));
  const services = useMemo(() => {
    const named = (resources.data ?? []).flatMap((r) => (r.document ? servicesReferencedBy(r.document) : []));
    const q = search.trim().toLowerCase();
    return indexServices(edges.data?.edges ?? [], named).filter(
      (s) => (!filters.namespace || s.namespace === filters.namespace) && (!filters.cluster || s.clusters.length === 0 || s.clusters.includes(filters.cluster)) && (!q || `${s.namespace}/${s.name}`.includes(q)),
    );
  }, [edges.data, resources.data, search, filters.namespace, filters.cluster]);
  return (
    <>
      <div className="page-header">
        <h1>Services</h1>
        <label className="toolbar">
          Search
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="namespace/name" />
        </label>
      </div>
      <QueryState query={edges} what="services" isEmpty={() => services.length === 0} empty={<Empty title="No services yet">Services appear once agents report traffic or a resource names them.</Empty>}>
        {() => (
          <DataTable columns={["Service", "Clusters", "Versions", { label: "Requests", numeric: true }, { label: "Errors", numeric: true }, { label: "p99", numeric: true }, { label: "Callers", numeric: true }, { label: "Callees", numeric: true }]} testId="services-table" panel>
            {services.map((s) => (
              <tr key={`${s.namespace}/${s.name}`}>
                <th scope="row">
                  <Link href={hrefWithFilters("/services/detail", params, { service: `${s.namespace}/${s.name}` })}>
                    {s.namespace}/{s.name}
                  </Link>
                </th>
                <td>{s.clusters.join(", ") || <span className="muted">no traffic</span>}</td>
                <td>{s.versions.join(", ") || "—"}</td>
                <td className="num">{formatRate(s.rate)}</td>
                <td className="num">{s.requests > 0 ? formatPercent(s.errorPercent) : "—"}</td>
                <td className="num">{formatMs(s.p99)}</td>
                <td className="num">{s.callers}</td>
                <td className="num">{s.callees}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
    </>
  );
}
