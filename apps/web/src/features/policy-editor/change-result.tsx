"use client";

import type { ChangeResultView } from "../../trpc/types.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatPercent } from "../ui/format.ts";
import { diffStats, parseUnifiedDiff, structuredRows, type DiffEntryLike } from "./diff-model.ts";

const STATUS_TEXT: Record<ChangeResultView["status"], { tone: string; label: string }> = {
  applied: { tone: "ok", label: "Applied" },
  unchanged: { tone: "info", label: "No changes" },
  "dry-run": { tone: "info", label: "Dry run: would apply" },
  "pending-approval": { tone: "warning", label: "Pending approval" },
  invalid: { tone: "critical", label: "Invalid: would be refused" },
  blocked: { tone: "critical", label: "Blocked by analyzer findings" },
};

const SEVERITY_TONE = { error: "critical", warning: "warning", info: "info" } as const;

/** The structured diff as a table: one row per changed field. */
export function StructuredDiff({ entries }: { entries: readonly DiffEntryLike[] }) {
  const rows = structuredRows(entries);
  if (rows.length === 0) return <p className="muted">No field changes.</p>;
  return (
    <DataTable columns={["Change", "Field", "Before", "After"]} testId="structured-diff">
      {rows.map((r, i) => (
        <tr key={i}>
          <td>
            <span className="diff-op" data-op={r.op}>
              {r.op}
            </span>
          </td>
          <td>
            <code>{r.path}</code>
          </td>
          <td>
            <code>{r.before}</code>
          </td>
          <td>
            <code>{r.after}</code>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The unified YAML diff, coloured, with +/− also in the text for screen readers and colour-blind users. */
export function TextDiff({ patch, label }: { patch: string; label: string }) {
  const lines = parseUnifiedDiff(patch);
  const stats = diffStats(lines);
  return (
    <figure className="stack" style={{ margin: 0 }}>
      <figcaption className="muted">
        {label}: +{stats.added} −{stats.removed}
      </figcaption>
      <pre className="diff" data-testid="text-diff" tabIndex={0} aria-label={`Text diff of ${label}`}>
        {lines.map((l, i) => (
          <div key={i} className="diff-line" data-kind={l.kind}>
            {l.kind === "add" ? "+ " : l.kind === "remove" ? "- " : l.kind === "context" ? "  " : ""}
            {l.text}
          </div>
        ))}
      </pre>
    </figure>
  );
}

/** What a dry run (or an apply) said: status, diffs, findings, affected workloads, impact. */
export function ChangeResultPanel({ result }: { result: ChangeResultView }) {
  const status = STATUS_TEXT[result.status];
  return (
    <section className="stack" aria-labelledby="change-result-heading" data-testid="change-result" data-status={result.status}>
      <h3 id="change-result-heading" className="row">
        {result.dryRun ? "Preview" : "Result"}{" "}
        <span className="badge" data-tone={status.tone} data-testid="change-status">
          {status.label}
        </span>
      </h3>
      {result.changeRequest ? (
        <p className="notice notice-warning" role="status" data-testid="pending-approval">
          Held for approval as change request <a href={`/change-requests?id=${result.changeRequest.id}`}>{result.changeRequest.id.slice(0, 8)}</a> (protected namespace
          {result.changeRequest.namespaces.length > 1 ? "s" : ""} {result.changeRequest.namespaces.join(", ")}).
        </p>
      ) : null}
      {result.validation.issues.length > 0 ? (
        <div role="alert">
          <h4>Validation</h4>
          <ul>
            {result.validation.issues.map((i, n) => (
              <li key={n}>
                <code>{i.path || "(document)"}</code>: {i.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {result.changes.map((c) => (
        <div key={`${c.ref.kind}/${c.ref.namespace ?? ""}/${c.ref.name}`} className="stack">
          <h4 style={{ margin: 0 }}>
            {c.action} {c.ref.kind} {c.ref.namespace ? `${c.ref.namespace}/` : ""}
            {c.ref.name}
            {c.fromRevision !== null ? <span className="muted"> (from revision {c.fromRevision})</span> : null}
          </h4>
          <StructuredDiff entries={c.diff as DiffEntryLike[]} />
          {c.textDiff ? <TextDiff patch={c.textDiff} label={`${c.ref.kind}/${c.ref.name}`} /> : null}
        </div>
      ))}
      <div>
        <h4>Analyzer findings</h4>
        {result.findings.length === 0 ? (
          <p className="muted" data-testid="no-findings">
            No findings.
          </p>
        ) : (
          <ul data-testid="findings">
            {result.findings.map((f, i) => (
              <li key={i}>
                <span className="badge" data-tone={SEVERITY_TONE[f.severity]}>
                  {f.severity}
                </span>{" "}
                <code>{f.code}</code> {f.message} {f.path ? <code className="muted">({f.path})</code> : null}
              </li>
            ))}
          </ul>
        )}
      </div>
      <div>
        <h4>Affected workloads</h4>
        {result.affectedWorkloads.length === 0 ? (
          <p className="muted">No running workload's proxy configuration changes.</p>
        ) : (
          <DataTable columns={["Cluster", "Workload", "Why"]} testId="affected-workloads">
            {result.affectedWorkloads.map((w) => (
              <tr key={`${w.cluster}/${w.namespace}/${w.name}`}>
                <td>{w.cluster}</td>
                <td>
                  {w.namespace}/{w.name}
                </td>
                <td>{w.reasons.join("; ")}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </div>
      {result.impact ? (
        <div data-testid="impact">
          <h4>Predicted impact</h4>
          <p>
            {formatPercent(result.impact.share * 100)} of the last {result.impact.window}&apos;s requests ({result.impact.changedRequests} of {result.impact.requests}) would be
            handled differently.
          </p>
        </div>
      ) : null}
    </section>
  );
}
