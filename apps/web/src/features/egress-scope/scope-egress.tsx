"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { storeDraft } from "../policy-proposal/policy-draft.ts";
import { toYaml } from "../policy-editor/yaml-codec.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Panel, QueryState } from "../ui/states.tsx";
import { calleeRows, editorQuery, suggestionSummary } from "./egress-suggestion-view.ts";

const CHANGE_LABEL = { added: "added", kept: "already listed", new: "" } as const;

function Suggestion({ namespace, service }: { namespace: string; service: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  // The manager's default window (the last week), asked once: a suggestion must not change under the user's eyes.
  const query = useQuery(trpc.sidecars.suggest.queryOptions({ namespace, service }, { staleTime: Number.POSITIVE_INFINITY, retry: false }));

  return (
    <QueryState query={query} what="the egress suggestion">
      {(s) => {
        const rows = calleeRows(s);
        const openInEditor = () => router.push(hrefWithFilters("/policies/edit", params, editorQuery(s, storeDraft(window.sessionStorage, s.document))));
        return (
          <div className="stack" data-testid="egress-suggestion">
            <p>
              Services {namespace}/{service} called between {formatDateTime(s.window.coveredFrom)} and {formatDateTime(s.window.coveredTo)}. {suggestionSummary(s)}
            </p>
            {s.notes.length > 0 ? (
              <ul className="notice notice-warning" aria-label="Notes" data-testid="egress-notes">
                {s.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            ) : null}
            <DataTable columns={["Host", "Kind", { label: "Requests", numeric: true }, "Last call", "Clusters", "Change"]} testId="egress-callees">
              {rows.map((r) => (
                <tr key={r.host}>
                  <td>
                    <code>{r.host}</code>
                  </td>
                  <td>{r.kind}</td>
                  <td className="num">{r.requests}</td>
                  <td>{formatDateTime(r.lastSeen)}</td>
                  <td>{r.where}</td>
                  <td>{CHANGE_LABEL[r.change]}</td>
                </tr>
              ))}
            </DataTable>
            {s.diff && s.diff.removed.length > 0 ? (
              <p data-testid="egress-removed">
                No longer listed (not called in the window): {s.diff.removed.map((h) => <code key={h}>{h} </code>)}
              </p>
            ) : null}
            <details>
              <summary>The suggested Sidecar (YAML)</summary>
              <pre data-testid="egress-yaml">{toYaml(s.document)}</pre>
            </details>
            <div className="row">
              <button type="button" className="btn btn-primary" onClick={openInEditor} data-testid="egress-open-editor">
                Review, dry run and apply in the policy editor
              </button>
            </div>
          </div>
        );
      }}
    </QueryState>
  );
}

/**
 * "Scope egress…" on the service page (users who can edit the namespace):
 * the Sidecar the manager suggests from the services this one called, with
 * the evidence, handed to the policy editor for validation, diff and apply.
 */
export function ScopeEgressAction({ namespace, service }: { namespace: string; service: string }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="stack">
      <div className="row">
        <button type="button" className="btn" aria-expanded={open} aria-controls="egress-panel" onClick={() => setOpen(!open)} data-testid="scope-egress">
          {open ? "Hide egress scope" : "Scope egress…"}
        </button>
      </div>
      {open ? (
        <div id="egress-panel">
          <Panel title="Suggested egress scope (Sidecar)" id="egress-heading">
            <Suggestion namespace={namespace} service={service} />
          </Panel>
        </div>
      ) : null}
    </div>
  );
}
