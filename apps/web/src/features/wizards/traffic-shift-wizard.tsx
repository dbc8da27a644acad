"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { storeDraft } from "../policy-proposal/policy-draft.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { Panel } from "../ui/states.tsx";
import { setWeight, shiftedRoute, shiftProblems, weightsOf, type VersionWeight } from "./traffic-shift.ts";

/**
 * Shift traffic between a service's versions: one slider per version, kept
 * summing to 100. Review opens the ordinary editor with the resulting
 * HTTPRoute (YAML, diff, dry run with predicted impact); the route is an
 * ordinary resource, so opening the wizard again starts from its weights.
 */
export function TrafficShiftWizard({ namespace, service, versions: seen }: { namespace: string; service: string; versions: readonly string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const existing = useQuery(trpc.resources.get.queryOptions({ kind: "HTTPRoute", namespace, name: service }, { retry: false }));
  const route = existing.data?.document ? (existing.data.document as Parameters<typeof weightsOf>[0]) : null;
  const initial = useMemo(() => {
    const fromRoute = weightsOf(route, service);
    const versions = [...new Set([...fromRoute.map((w) => w.version), ...seen.filter(Boolean)])];
    if (fromRoute.length > 0) return versions.map((v) => ({ version: v, weight: fromRoute.find((w) => w.version === v)?.weight ?? 0 }));
    return versions.map((v, i) => ({ version: v, weight: i === 0 ? 100 : 0 }));
  }, [route, seen, service]);
  const [edited, setEdited] = useState<VersionWeight[] | null>(null);
  const weights = edited ?? initial;
  const problems = shiftProblems(weights);
  if (existing.isPending) return null;
  const review = () => {
    const document = shiftedRoute(route as never, { namespace, name: service }, weights);
    const id = storeDraft(window.sessionStorage, document);
    router.push(hrefWithFilters("/policies/edit", params, { kind: "HTTPRoute", namespace, ...(route ? { name: service } : {}), draft: id }));
  };
  return (
    <Panel title="Shift traffic between versions" id="traffic-shift-heading">
      <form
        className="stack"
        data-testid="traffic-shift-wizard"
        onSubmit={(e) => {
          e.preventDefault();
          if (problems.length === 0) review();
        }}
      >
        <p className="muted">
          {route ? `Edits the catch-all rule of HTTPRoute ${namespace}/${service}.` : `Creates HTTPRoute ${namespace}/${service}.`} The weights always add up to 100 %.
        </p>
        {weights.length === 0 ? <p className="muted">No version of this service has served traffic yet.</p> : null}
        {weights.map((w, i) => (
          <label key={w.version} className="row" style={{ gap: "0.75rem" }}>
            <span style={{ minWidth: "4rem" }}>{w.version}</span>
            <input type="range" min={0} max={100} step={1} value={w.weight} aria-label={`Share of ${w.version} (%)`} data-testid={`shift-slider-${w.version}`} onChange={(e) => setEdited(setWeight(weights, i, Number(e.target.value)))} />
            <input type="number" min={0} max={100} value={w.weight} aria-label={`Share of ${w.version} in percent`} data-testid={`shift-weight-${w.version}`} style={{ width: "5rem" }} onChange={(e) => setEdited(setWeight(weights, i, Number(e.target.value)))} />
            <span>%</span>
          </label>
        ))}
        {problems.length > 0 ? (
          <ul className="field-error" role="alert" data-testid="shift-problems">
            {problems.map((p) => (
              <li key={`${p.path}|${p.message}`}>
                <code>{p.path}</code>: {p.message}
              </li>
            ))}
          </ul>
        ) : null}
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={problems.length > 0 || weights.length === 0} data-testid="shift-review">
            Review (YAML, diff, dry run)
          </button>
        </div>
      </form>
    </Panel>
  );
}
