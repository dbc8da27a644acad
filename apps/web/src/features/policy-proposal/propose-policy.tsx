"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { toYaml } from "../policy-editor/yaml-codec.ts";
import { useTimeWindow, useViewFilters } from "../shell/use-view-filters.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Panel, QueryState } from "../ui/states.tsx";
import { sinceMinutesOf, storeDraft } from "./policy-draft.ts";

const EVIDENCE: Record<string, string> = {
  mtls: "mTLS peer certificate (sampled spans)",
  workload: "service account of a calling service (traffic rollups)",
};

function Proposal({ namespace, service }: { namespace: string; service: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const { filters } = useViewFilters();
  const timeWindow = useTimeWindow(filters);
  // Fixed when the proposal opens: a moving window would re-propose under the user's eyes.
  const [sinceMinutes] = useState(() => sinceMinutesOf(timeWindow, Date.now()));
  const query = useQuery(trpc.authorization.propose.queryOptions({ namespace, service, sinceMinutes }, { staleTime: Number.POSITIVE_INFINITY }));

  const openInEditor = (policy: unknown) => {
    const id = storeDraft(window.sessionStorage, policy);
    router.push(hrefWithFilters("/policies/edit", params, { kind: "AuthorizationPolicy", namespace, draft: id }));
  };

  return (
    <QueryState query={query} what="the proposal">
      {(p) => (
        <div className="stack" data-testid="policy-proposal">
          <p>
            Callers of {namespace}/{service} seen since {formatDateTime(p.since)} (the last {sinceMinutes} min).{" "}
            {p.policy ? `An ALLOW policy for these ${p.callers.length} identities would deny every other caller.` : ""}
          </p>
          {p.warnings.length > 0 ? (
            <ul className="notice notice-warning" aria-label="Warnings" data-testid="proposal-warnings">
              {p.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          ) : null}
          {p.callers.length > 0 ? (
            <DataTable columns={["Identity", "Evidence", { label: "Requests", numeric: true }, "Calling services"]} testId="proposal-callers">
              {p.callers.map((c) => (
                <tr key={c.identity}>
                  <td>
                    <code>{c.identity}</code>
                  </td>
                  <td>{c.evidence.map((e) => EVIDENCE[e] ?? e).join("; ")}</td>
                  <td className="num">{c.requests}</td>
                  <td>{c.services.length > 0 ? c.services.join(", ") : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </DataTable>
          ) : null}
          {p.unidentifiedRequests > 0 ? <p className="muted">{p.unidentifiedRequests} sampled request(s) came without a mesh identity.</p> : null}
          {p.policy ? (
            <>
              <details>
                <summary>The proposed policy (YAML)</summary>
                <pre data-testid="proposal-yaml">{toYaml(p.policy)}</pre>
              </details>
              <div className="row">
                <button type="button" className="btn btn-primary" onClick={() => openInEditor(p.policy)} data-testid="proposal-open-editor">
                  Review, dry run and apply in the policy editor
                </button>
              </div>
            </>
          ) : null}
        </div>
      )}
    </QueryState>
  );
}

/**
 * "Propose authorization policy from traffic" on the service page (operators
 * and up): the manager's proposal with its evidence and warnings, handed to
 * the policy editor for the usual validation, dry run and apply.
 */
export function ProposePolicyAction({ namespace, service }: { namespace: string; service: string }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="stack">
      <div className="row">
        <button type="button" className="btn" aria-expanded={open} aria-controls="proposal-panel" onClick={() => setOpen(!open)} data-testid="propose-policy">
          {open ? "Hide proposed authorization policy" : "Propose authorization policy from traffic"}
        </button>
      </div>
      {open ? (
        <div id="proposal-panel">
          <Panel title="Proposed authorization policy" id="proposal-heading">
            <Proposal namespace={namespace} service={service} />
          </Panel>
        </div>
      ) : null}
    </div>
  );
}
