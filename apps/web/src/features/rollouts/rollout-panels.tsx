"use client";

import { describeStep, planOf } from "@weft/mesh-model";
import { useMemo, useState } from "react";
import { DataTable } from "../ui/data-table.tsx";
import styles from "./rollouts.module.css";
import { formatDateTime } from "../ui/format.ts";
import { Empty } from "../ui/states.tsx";
import { clusterProgress, describeTraffic } from "./rollout-progress.ts";
import type { RolloutDetailView } from "./rollout-view.ts";
import { verdictCounts, verdictRows } from "./verdict-rows.ts";

/** Checks shown before "Show all": two or three intervals of a rollout over a few clusters. */
const VERDICTS_SHOWN = 18;

const VERDICT_TONE = { pass: "ok", fail: "critical", "no-data": "warning", "no-slo": "info" } as const;

/** The steps with the current one marked, and each cluster's wave and weight now. */
export function RolloutProgress({ rollout }: { rollout: RolloutDetailView }) {
  const plan = useMemo(() => planOf(rollout.spec), [rollout.spec]);
  const rows = clusterProgress(plan, rollout.state.traffic, rollout.state.wave, rollout.clusters);
  const mirror = rollout.spec.strategy.mirror?.percent;
  const { state } = rollout;
  return (
    <div className="grid-2">
      <div className="stack">
        <p data-testid="rollout-current-step">
          {plan.waves.length > 1 ? `Wave ${state.wave + 1} of ${plan.waves.length}, ` : ""}step {Math.min(state.step + 1, plan.steps.length)} of {plan.steps.length}
          {plan.steps[state.step] ? `: ${describeStep(plan.steps[state.step]!)}` : ""}
          {state.entered ? "" : " (waiting to enter)"} · {state.passed} passing interval(s) here · {state.failed} of {rollout.spec.analysis.threshold} failed checks
        </p>
        {state.hold ? (
          <p className="notice notice-warning" role="status" data-testid="rollout-hold">
            Holding ({state.hold.reason}): {state.hold.detail}
          </p>
        ) : null}
        {state.pause ? (
          <p className="notice notice-warning" role="status">
            Paused ({state.pause.reason}): {state.pause.detail}
          </p>
        ) : null}
        {state.outcome ? (
          <p className="notice" role="status" data-testid="rollout-outcome">
            {state.outcome}
          </p>
        ) : null}
        <ol className={styles.steps} data-testid="rollout-steps">
          {plan.steps.map((s, i) => (
            <li key={i} aria-current={i === state.step ? "step" : undefined}>
              {i === state.step ? <strong>{describeStep(s)} ← now</strong> : <span className={i < state.step ? "muted" : undefined}>{describeStep(s)}</span>}
            </li>
          ))}
        </ol>
      </div>
      <DataTable columns={["Cluster", "Wave", "Canary share now"]} testId="rollout-clusters">
        {rows.map((r) => (
          <tr key={r.cluster} data-cluster={r.cluster}>
            <td>{r.cluster}</td>
            <td>{r.wave < 0 ? "not in the rollout" : `${r.wave + 1}${r.current ? " (current)" : ""}`}</td>
            <td className="num">{describeTraffic(r, mirror)}</td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}

/** Every stored check with the numbers it judged (query, values, threshold, samples), newest first. */
export function RolloutVerdicts({ rollout }: { rollout: RolloutDetailView }) {
  const rows = useMemo(() => verdictRows(rollout.checks, { waves: rollout.spec.waves?.groups.length ?? 1, attempts: rollout.state.attempt }), [rollout.checks, rollout.spec.waves, rollout.state.attempt]);
  const [all, setAll] = useState(false);
  if (rows.length === 0) return <Empty title="No check judged yet">The first verdict comes after one interval ({rollout.spec.analysis.interval}) of traffic at a step.</Empty>;
  const counts = verdictCounts(rows);
  return (
    <div className="stack">
      <p className="muted" data-testid="verdict-counts">
        {counts.pass} passed · {counts.fail} failed · {counts["no-data"]} without enough data
      </p>
      <DataTable columns={["When", "Where", "Check", "Cluster", "Verdict", "Numbers", "Query"]} testId="rollout-verdicts">
        {(all ? rows : rows.slice(0, VERDICTS_SHOWN)).map((r) => (
          <tr key={r.id} data-verdict={r.verdict}>
            <td>{formatDateTime(r.at)}</td>
            <td>{r.where}</td>
            <td>
              {r.check}
              {r.mode === "Advisory" ? <span className="muted"> (advisory)</span> : null}
            </td>
            <td>{r.scope}</td>
            <td>
              <span className="badge" data-tone={VERDICT_TONE[r.verdict]}>
                {r.verdict}
              </span>
            </td>
            <td>
              {r.numbers}
              {r.effectSize !== null ? <span className="muted"> · effect size {r.effectSize.toFixed(2)}</span> : null}
              {r.warnings.map((w) => (
                <div key={w} className="muted">
                  ⚠ {w}
                </div>
              ))}
              <div className="muted">{r.reason}</div>
            </td>
            <td>
              <code className={styles.query}>{r.query}</code>
            </td>
          </tr>
        ))}
      </DataTable>
      {rows.length > VERDICTS_SHOWN ? (
        <button type="button" className="btn btn-small" onClick={() => setAll(!all)}>
          {all ? `Show the newest ${VERDICTS_SHOWN}` : `Show all ${rows.length} checks`}
        </button>
      ) : null}
    </div>
  );
}

/** The run's events, newest first. */
export function RolloutTimeline({ rollout }: { rollout: RolloutDetailView }) {
  const events = [...rollout.events].reverse();
  if (events.length === 0) return <Empty title="No events yet" />;
  return (
    <ol className="timeline" data-testid="rollout-timeline">
      {events.map((e) => (
        <li key={e.id}>
          <span className="muted">{formatDateTime(e.at)}</span> <span className="badge">{e.type}</span> {e.message}
          {e.by ? <span className="muted"> — {e.by}</span> : <span className="muted"> — rollout controller</span>}
        </li>
      ))}
    </ol>
  );
}
