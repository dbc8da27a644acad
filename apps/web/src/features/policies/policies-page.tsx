"use client";

import { useQuery } from "@tanstack/react-query";
import { KINDS } from "@weft/mesh-model";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { useSession } from "../shell/session.tsx";
import { useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatRelative } from "../ui/format.ts";
import { Empty, QueryState } from "../ui/states.tsx";
import { filterResources, policiesForService, SERVICE_POLICY_KINDS } from "./policy-catalog.ts";

/** Every resource, filtered by kind, namespace (the shell's filter) and name; or the policies of one service. */
export function PoliciesPage() {
  const trpc = useTRPC();
  const session = useSession();
  const params = useSearchParams();
  const router = useRouter();
  const { filters } = useViewFilters();
  const kind = params.get("kind");
  const search = params.get("q") ?? "";
  const service = params.get("service");
  const [svcNs, svcName] = service?.split("/") ?? [];
  const query = useQuery(trpc.resources.list.queryOptions({}, { refetchInterval: 15_000 }));
  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(`/policies?${next.toString()}`, { scroll: false });
  };
  const rows = useMemo(() => {
    const all = query.data ?? [];
    if (svcNs && svcName) return policiesForService(all, { namespace: svcNs, name: svcName });
    return filterResources(all.filter((r) => r.document !== null), { kind, namespace: filters.namespace, search }).map((r) => ({ ...r, roles: [] as string[] }));
  }, [query.data, kind, filters.namespace, search, svcNs, svcName]);
  const newNamespace = svcNs ?? filters.namespace ?? "default";
  const canCreate = session.canEdit(newNamespace);

  return (
    <>
      <div className="page-header">
        <h1>{service ? `Policies for ${service}` : "Policies"}</h1>
        {canCreate ? (
          <div className="row" data-testid="new-policy">
            {SERVICE_POLICY_KINDS.map((k) => (
              <Link key={k} className="btn" href={hrefWithFilters("/policies/edit", params, { kind: k, namespace: newNamespace, ...(service ? { service } : {}) })}>
                New {k}
              </Link>
            ))}
          </div>
        ) : null}
      </div>
      {service ? (
        <p>
          Routes attached to or sending to {service}, and the traffic and authorization policies targeting it.{" "}
          <Link href={hrefWithFilters("/policies", params)}>Show all resources</Link>
        </p>
      ) : (
        <form className="toolbar" aria-label="Resource filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Kind
            <select value={kind ?? ""} onChange={(e) => setParam("kind", e.target.value)} data-testid="kind-filter">
              <option value="">All kinds</option>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <label>
            Search
            <input type="search" value={search} onChange={(e) => setParam("q", e.target.value)} placeholder="namespace/name" />
          </label>
        </form>
      )}
      <QueryState
        query={query}
        what="resources"
        isEmpty={() => rows.length === 0}
        empty={<Empty title={service ? `No policies apply to ${service}` : "No resources match"}>{canCreate ? "Create one with the buttons above." : null}</Empty>}
      >
        {() => (
          <DataTable
            columns={["Kind", "Namespace", "Name", ...(service ? ["Refers to the service as"] : []), { label: "Revision", numeric: true }, "Updated"]}
            testId="policies-table"
            panel
          >
            {rows.map((r) => (
              <tr key={`${r.kind}/${r.namespace}/${r.name}`}>
                <td>{r.kind}</td>
                <td>{r.namespace || <span className="muted">mesh-wide</span>}</td>
                <td>
                  <Link href={hrefWithFilters("/policies/edit", params, { kind: r.kind, namespace: r.namespace, name: r.name })}>{r.name}</Link>
                </td>
                {service ? <td>{r.roles.join(", ")}</td> : null}
                <td className="num">{r.revision}</td>
                <td>{formatRelative(r.updatedAt, Date.now())}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryState>
    </>
  );
}
