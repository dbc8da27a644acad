"use client";

import type { ValidationIssue } from "@weft/mesh-model";
import { DataTable } from "../ui/data-table.tsx";
import { formatMs, formatPercent, formatRate } from "../ui/format.ts";
import { Empty } from "../ui/states.tsx";
import type { RolloutDraft } from "./rollout-draft.ts";
import { clustersOf, UNLABELLED, versionsOf, type VersionRow } from "./version-traffic.ts";
import { Field, issueAt } from "./wizard-fields.tsx";
import styles from "./rollouts.module.css";

type Update = (patch: Partial<RolloutDraft>) => void;

/** Step 2: the versions Weft sees per cluster with their live traffic; pick stable, canary and clusters. */
export function VersionsStep({ draft, update, rows, liveMinutes, issues }: { draft: RolloutDraft; update: Update; rows: VersionRow[]; liveMinutes: number; issues: ValidationIssue[] }) {
  const versions = versionsOf(rows);
  const clusters = clustersOf(rows);
  if (rows.length === 0) return <Empty title={`No cluster reports ${draft.namespace}/${draft.service}`}>A rollout needs the service's stable and canary versions running (endpoints with a version label).</Empty>;
  const toggleCluster = (c: string, on: boolean) => update({ clusters: on ? [...draft.clusters, c] : draft.clusters.filter((x) => x !== c) });
  return (
    <div className="stack">
      <DataTable columns={["Cluster", "Version", { label: "Endpoints", numeric: true }, { label: `Rate (last ${liveMinutes} min)`, numeric: true }, { label: "Success", numeric: true }, { label: "p99", numeric: true }, "Role"]} testId="wizard-versions">
        {rows.map((r) => (
          <tr key={`${r.cluster}/${r.version}`} data-version={r.version} data-cluster={r.cluster}>
            <td>{r.cluster}</td>
            <td>{r.version}</td>
            <td className="num">{r.endpoints}</td>
            <td className="num">{formatRate(r.rate)}</td>
            <td className="num">{formatPercent(r.successPercent)}</td>
            <td className="num">{formatMs(r.p99)}</td>
            <td>
              {r.version === draft.stable ? <span className="badge" data-tone="ok">stable</span> : r.version === draft.canary ? <span className="badge" data-tone="warning">canary</span> : r.version === UNLABELLED ? <span className="muted">cannot be targeted</span> : null}
            </td>
          </tr>
        ))}
      </DataTable>
      <div className="form-grid">
        <Field label="Stable version" help="Keeps the traffic until promotion." error={issueAt(issues, "spec.stable.version")}>
          <select value={draft.stable} onChange={(e) => update({ stable: e.target.value })}>
            <option value="">(choose)</option>
            {versions.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </Field>
        <Field label="Canary version" help="The new version the rollout moves traffic to." error={issueAt(issues, "spec.canary.version")}>
          <select value={draft.canary} onChange={(e) => update({ canary: e.target.value })}>
            <option value="">(choose)</option>
            {versions.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </Field>
        <Field label="Rollout name" error={issueAt(issues, "metadata.name")}>
          <input value={draft.name} onChange={(e) => update({ name: e.target.value })} />
        </Field>
      </div>
      <fieldset className="form-object">
        <legend>Clusters</legend>
        <p className="field-help">None checked: every cluster where the service runs, now and later, moves together and shares one analysis (one cluster failing fails the step).</p>
        <div className="row">
          {clusters.map((c) => (
            <label key={c} className="row">
              <input type="checkbox" checked={draft.clusters.includes(c)} onChange={(e) => toggleCluster(c, e.target.checked)} /> {c}
            </label>
          ))}
        </div>
        {issueAt(issues, "spec.clusters") ? <span className="field-error">{issueAt(issues, "spec.clusters")}</span> : null}
        <label className={styles.check}>
          <input type="checkbox" checked={draft.waves} disabled={draft.clusters.length < 2} onChange={(e) => update({ waves: e.target.checked })} /> One wave per cluster, in the order checked ({draft.clusters.join(" → ") || "check two or more"})
        </label>
        {draft.waves && draft.clusters.length > 1 ? (
          <Field label="When a wave fails">
            <select value={draft.onWaveFailure} onChange={(e) => update({ onWaveFailure: e.target.value as RolloutDraft["onWaveFailure"] })}>
              <option value="RollbackAll">roll back every cluster</option>
              <option value="Pause">pause at the failing wave</option>
            </select>
          </Field>
        ) : null}
      </fieldset>
    </div>
  );
}
