"use client";

import { WEBHOOK_TYPES, type ValidationIssue, type WebhookType } from "@weft/mesh-model";
import type { RolloutDraft } from "./rollout-draft.ts";
import type { ThresholdSuggestion } from "./threshold-suggestions.ts";
import { Field, issueAt, NumberInput } from "./wizard-fields.tsx";
import styles from "./rollouts.module.css";

type Update = (patch: Partial<RolloutDraft>) => void;

/** "from baseline" beside a field while it still holds the pre-filled value. */
function FromBaseline({ value, suggested }: { value: number | null; suggested: number | null | undefined }) {
  if (suggested === undefined || suggested === null) return null;
  return value === suggested ? (
    <span className="badge" data-tone="info" data-testid="from-baseline">
      from stable's baseline
    </span>
  ) : (
    <span className="muted">baseline suggests {suggested}</span>
  );
}

/** Step 4: interval, failure threshold, minimum volume and the metrics, pre-filled from stable's last hour. */
export function AnalysisStep({ draft, update, issues, suggestion, baselineState }: { draft: RolloutDraft; update: Update; issues: ValidationIssue[]; suggestion: ThresholdSuggestion | null; baselineState: "loading" | "error" | "ready" }) {
  return (
    <div className="stack">
      {suggestion ? (
        <p className={`notice ${suggestion.weak ? "notice-warning" : "notice-ok"}`} role="status" data-testid="baseline-prefill">
          <strong>Baseline of the stable version:</strong> {suggestion.explanation}.
        </p>
      ) : (
        <p className="notice" role="status" data-testid="baseline-prefill">
          {baselineState === "loading" ? "Reading the stable version's last hour…" : baselineState === "error" ? "Could not read the stable version's last hour: the defaults stay." : "Choose the stable version to pre-fill the thresholds from its last hour."}
        </p>
      )}
      <div className="form-grid">
        <Field label="Interval" help="How often the analysis judges the canary (e.g. 30s, 1m)." error={issueAt(issues, "spec.analysis.interval")}>
          <input value={draft.interval} onChange={(e) => update({ interval: e.target.value })} />
        </Field>
        <Field label="Failed checks before rollback" error={issueAt(issues, "spec.analysis.threshold")}>
          <NumberInput value={draft.threshold} min={1} onChange={(n) => update({ threshold: n })} />
        </Field>
        <Field label="Minimum requests per interval" help="Fewer holds the step (no data is neither a pass nor a fail)." error={issueAt(issues, "spec.analysis.minRequests")}>
          <NumberInput value={draft.minRequests} min={1} onChange={(n) => update({ minRequests: n })} />
        </Field>
      </div>
      <fieldset className="form-object">
        <legend>Success rate (blocking)</legend>
        <div className="form-grid">
          <Field label="Canary success rate at least (%)" help={<FromBaseline value={draft.successRateMin} suggested={suggestion?.successRateMin} />} error={issueAt(issues, "spec.analysis.metrics[0].min")}>
            <NumberInput value={draft.successRateMin} min={0} max={100} step={0.1} onChange={(n) => update({ successRateMin: n })} />
          </Field>
          <Field label="Largest drop vs stable (points)" help="Empty: no comparison with stable." error={issueAt(issues, "spec.analysis.metrics[0].maxDropVsStable")}>
            <NumberInput value={draft.maxDropVsStable} min={0} step={0.1} onChange={(n) => update({ maxDropVsStable: Number.isNaN(n) ? null : n })} />
          </Field>
        </div>
      </fieldset>
      <fieldset className="form-object">
        <legend>p99 latency</legend>
        <div className="form-grid">
          <Field label="Canary p99 at most (ms)" help={<>{draft.p99MaxMs === null ? "Empty: no latency check. " : null}<FromBaseline value={draft.p99MaxMs} suggested={suggestion?.p99MaxMs} /></>} error={issueAt(issues, "spec.analysis.metrics[1].max")}>
            <NumberInput value={draft.p99MaxMs} min={1} onChange={(n) => update({ p99MaxMs: Number.isNaN(n) ? null : n })} />
          </Field>
          <Field label="Largest increase vs stable (%)" error={issueAt(issues, "spec.analysis.metrics[1].maxIncreaseVsStable")}>
            <NumberInput value={draft.p99MaxIncrease} min={0} onChange={(n) => update({ p99MaxIncrease: Number.isNaN(n) ? null : n })} />
          </Field>
          <label className={styles.check}>
            <input type="checkbox" checked={draft.latencyAdvisory} onChange={(e) => update({ latencyAdvisory: e.target.checked })} /> Advisory (recorded, never rolls back)
          </label>
        </div>
      </fieldset>
      <fieldset className="form-object">
        <legend>Promotion and trust</legend>
        <div className="form-grid">
          <Field label="Promotion">
            <select value={draft.promotion} onChange={(e) => update({ promotion: e.target.value as RolloutDraft["promotion"] })}>
              <option value="Automatic">automatic after the last step passes</option>
              <option value="Manual">manual: an operator approves</option>
            </select>
          </Field>
          <Field label="Shadow mode">
            <select value={draft.shadow} onChange={(e) => update({ shadow: e.target.value as RolloutDraft["shadow"] })}>
              <option value="">off: failures roll back</option>
              <option value="PauseOnFailure">failures pause instead of rolling back</option>
              <option value="RecordOnly">record the analysis only, move no traffic</option>
            </select>
          </Field>
          <label className={styles.check}>
            <input type="checkbox" checked={draft.errorBudgetGate} onChange={(e) => update({ errorBudgetGate: e.target.checked })} /> Refuse promotion while the service's SLO burns its error budget too fast
          </label>
        </div>
      </fieldset>
    </div>
  );
}

const HOOK_HELP: Record<WebhookType, string> = {
  "pre-rollout": "before any traffic moves; a failure aborts",
  rollout: "every interval, as a check",
  "confirm-traffic-increase": "before each weight increase; a failure holds",
  "confirm-promotion": "before promotion; a failure holds",
  "post-rollout": "after the rollout finishes",
  rollback: "when the rollout rolls back",
};

/** Step 5: webhooks (Flagger's types); a 2xx answer passes. */
export function WebhooksStep({ draft, update, issues }: { draft: RolloutDraft; update: Update; issues: ValidationIssue[] }) {
  const set = (i: number, patch: Partial<RolloutDraft["webhooks"][number]>) => update({ webhooks: draft.webhooks.map((w, n) => (n === i ? { ...w, ...patch } : w)) });
  return (
    <div className="stack">
      {draft.webhooks.length === 0 ? <p className="muted">No webhooks: the analysis uses Weft's own telemetry only.</p> : null}
      {draft.webhooks.map((w, i) => {
        const path = `spec.analysis.webhooks[${i}]`;
        return (
          <fieldset key={i} className="form-object" data-testid="wizard-webhook">
            <legend>Webhook {i + 1}</legend>
            <div className="form-grid">
              <Field label="Name" error={issueAt(issues, `${path}.name`)}>
                <input value={w.name} onChange={(e) => set(i, { name: e.target.value })} />
              </Field>
              <Field label="Type" help={HOOK_HELP[w.type]}>
                <select value={w.type} onChange={(e) => set(i, { type: e.target.value as WebhookType })}>
                  {WEBHOOK_TYPES.map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              </Field>
              <Field label="URL" error={issueAt(issues, `${path}.url`)}>
                <input value={w.url} onChange={(e) => set(i, { url: e.target.value })} placeholder="https://ci.example.com/smoke" />
              </Field>
              <Field label="Timeout" error={issueAt(issues, `${path}.timeout`)}>
                <input value={w.timeout} onChange={(e) => set(i, { timeout: e.target.value })} />
              </Field>
              <Field label="Retries" error={issueAt(issues, `${path}.retries`)}>
                <input type="number" min={0} value={Number.isNaN(w.retries) ? "" : w.retries} onChange={(e) => set(i, { retries: e.target.value === "" ? Number.NaN : Number(e.target.value) })} />
              </Field>
            </div>
            <button type="button" className="btn btn-small" onClick={() => update({ webhooks: draft.webhooks.filter((_, n) => n !== i) })}>
              Remove webhook {i + 1}
            </button>
          </fieldset>
        );
      })}
      <button type="button" className="btn" onClick={() => update({ webhooks: [...draft.webhooks, { name: `hook-${draft.webhooks.length + 1}`, type: "rollout", url: "", timeout: "5s", retries: 2 }] })}>
        Add a webhook
      </button>
    </div>
  );
}
