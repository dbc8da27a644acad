"use client";

import { useState } from "react";
import { useSession } from "../shell/session.tsx";
import { useViewFilters } from "../shell/use-view-filters.ts";
import { Empty, QueryState } from "../ui/states.tsx";
import { filterRollouts, sortRollouts } from "./rollouts-list.ts";
import { RolloutsTable } from "./rollouts-table.tsx";
import { useRolloutRows } from "./use-rollouts.ts";

/** Every rollout across namespaces and clusters, the ones waiting for an approval first. */
export function RolloutsPage() {
  const session = useSession();
  const { filters } = useViewFilters();
  const [search, setSearch] = useState("");
  const [active, setActive] = useState(false);
  const { list, rows } = useRolloutRows();
  const shown = sortRollouts(filterRollouts(rows, { namespace: filters.namespace, cluster: filters.cluster, search, active }));
  return (
    <>
      <div className="page-header">
        <h1>Rollouts</h1>
      </div>
      <p className="muted">
        Canary rollouts in every namespace {session.canEditAnything ? "— start one from a service's page (Start a rollout)" : ""}. The ones waiting for an approval come first.
      </p>
      <div className="toolbar">
        <label>
          Search
          <input value={search} onChange={(e) => setSearch(e.target.value)} placeholder="namespace/name or service" />
        </label>
        <label className="row">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} /> Running only
        </label>
      </div>
      <QueryState query={list} what="rollouts" isEmpty={() => shown.length === 0} empty={<Empty title="No rollouts match">Start one from a service's page.</Empty>}>
        {() => <RolloutsTable rows={shown} now={Date.now()} />}
      </QueryState>
    </>
  );
}
