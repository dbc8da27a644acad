"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { useViewFilters } from "./use-view-filters.ts";
import { RANGE_LABELS, RANGES, toLocalInput, type RangeKey } from "./view-filters.ts";

/** Cluster, namespace and time range: written to the URL, read by every page. */
export function FilterBar() {
  const trpc = useTRPC();
  const { filters, setFilters } = useViewFilters();
  const clusters = useQuery(trpc.clusters.list.queryOptions(undefined, { staleTime: 30_000 }));
  const resources = useQuery(trpc.resources.list.queryOptions({}, { staleTime: 30_000 }));
  const namespaces = useMemo(() => {
    const set = new Set<string>();
    for (const r of resources.data ?? []) if (r.namespace) set.add(r.namespace);
    if (filters.namespace) set.add(filters.namespace);
    return [...set].sort();
  }, [resources.data, filters.namespace]);
  const clusterNames = useMemo(() => {
    const names = (clusters.data ?? []).map((c) => c.name);
    if (filters.cluster && !names.includes(filters.cluster)) names.push(filters.cluster);
    return names.sort();
  }, [clusters.data, filters.cluster]);

  const [customFrom, setCustomFrom] = useState(() => toLocalInput(filters.from ?? Date.now() - 3_600_000));
  const [customTo, setCustomTo] = useState(() => toLocalInput(filters.to ?? Date.now()));
  const [editingCustom, setEditingCustom] = useState(false);
  const showCustom = editingCustom || filters.range === "custom";

  const onRange = (range: RangeKey) => {
    if (range === "custom") {
      setEditingCustom(true);
      return;
    }
    setEditingCustom(false);
    setFilters({ range, from: null, to: null });
  };
  const applyCustom = () => {
    const from = Date.parse(customFrom);
    const to = Date.parse(customTo);
    if (Number.isFinite(from) && Number.isFinite(to) && to > from) setFilters({ range: "custom", from, to });
  };

  return (
    <form className="filter-bar" aria-label="View filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        Cluster
        <select value={filters.cluster ?? ""} onChange={(e) => setFilters({ cluster: e.target.value || null })} data-testid="filter-cluster">
          <option value="">All clusters</option>
          {clusterNames.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Namespace
        <select value={filters.namespace ?? ""} onChange={(e) => setFilters({ namespace: e.target.value || null })} data-testid="filter-namespace">
          <option value="">All namespaces</option>
          {namespaces.map((ns) => (
            <option key={ns} value={ns}>
              {ns}
            </option>
          ))}
        </select>
      </label>
      <label>
        Time range
        <select value={showCustom ? "custom" : filters.range} onChange={(e) => onRange(e.target.value as RangeKey)} data-testid="filter-range">
          {RANGES.map((r) => (
            <option key={r} value={r}>
              {RANGE_LABELS[r]}
            </option>
          ))}
        </select>
      </label>
      {showCustom ? (
        <fieldset className="custom-range">
          <legend className="visually-hidden">Custom time range</legend>
          <label>
            From
            <input type="datetime-local" value={customFrom} onChange={(e) => setCustomFrom(e.target.value)} />
          </label>
          <label>
            To
            <input type="datetime-local" value={customTo} onChange={(e) => setCustomTo(e.target.value)} />
          </label>
          <button type="button" className="btn" onClick={applyCustom}>
            Apply range
          </button>
        </fieldset>
      ) : null}
    </form>
  );
}
