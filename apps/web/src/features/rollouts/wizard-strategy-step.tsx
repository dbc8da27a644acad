"use client";

import { RolloutSchema, type ValidationIssue } from "@weft/mesh-model";
import { useMemo, useState } from "react";
import { draftToDocument, parseWeights, type DraftStrategy, type RolloutDraft } from "./rollout-draft.ts";
import { previewChart } from "./rollout-preview.ts";
import { WeightPreviewChart } from "./weight-preview-chart.tsx";
import { Field, issueAt, NumberInput } from "./wizard-fields.tsx";
import styles from "./rollouts.module.css";

type Update = (patch: Partial<RolloutDraft>) => void;

const STRATEGIES: { value: DraftStrategy; label: string; help: string }[] = [
  { value: "canary", label: "Canary", help: "The canary gets a growing share of requests, one step per passing interval." },
  { value: "abTesting", label: "A/B", help: "Requests with a header or cookie go to the canary for a number of intervals, then promotion." },
  { value: "blueGreen", label: "Blue-green", help: "The canary is analysed while stable keeps every request, then all traffic switches at once." },
];

/** Step 3: strategy and steps, with the weight-over-time preview the controller will follow. */
export function StrategyStep({ draft, update, issues }: { draft: RolloutDraft; update: Update; issues: ValidationIssue[] }) {
  const [weightsText, setWeightsText] = useState(draft.weights.join(", "));
  const chart = useMemo(() => {
    const parsed = RolloutSchema.safeParse(draftToDocument(draft));
    return parsed.success ? previewChart(parsed.data.spec) : null;
  }, [draft]);
  return (
    <div className="stack">
      <fieldset className="form-object">
        <legend>Strategy</legend>
        {STRATEGIES.map((s) => (
          <label key={s.value} className={styles.check}>
            <input type="radio" name="strategy" value={s.value} checked={draft.strategy === s.value} onChange={() => update({ strategy: s.value })} /> <strong>{s.label}</strong> <span className="muted">{s.help}</span>
          </label>
        ))}
      </fieldset>
      <div className="form-grid">
        {draft.strategy === "canary" ? (
          <>
            <Field label="Canary weights (%)" help="Comma-separated; promotion (100 %) comes last." error={issueAt(issues, "spec.strategy.canary")}>
              <input
                value={weightsText}
                onChange={(e) => {
                  setWeightsText(e.target.value);
                  update({ weights: parseWeights(e.target.value) });
                }}
              />
            </Field>
            <label className={styles.check}>
              <input type="checkbox" checked={draft.approvalBeforePromotion} onChange={(e) => update({ approvalBeforePromotion: e.target.checked })} /> Wait for an approval before promotion
            </label>
            <label className={styles.check}>
              <input type="checkbox" checked={draft.sessionAffinity} onChange={(e) => update({ sessionAffinity: e.target.checked })} /> Session affinity (a user who reached the canary stays on it)
            </label>
          </>
        ) : null}
        {draft.strategy === "abTesting" ? (
          <>
            <Field label="Header name" error={issueAt(issues, "spec.strategy.abTesting.matches")}>
              <input value={draft.abHeader.name} onChange={(e) => update({ abHeader: { ...draft.abHeader, name: e.target.value } })} />
            </Field>
            <Field label="Header value">
              <input value={draft.abHeader.value} onChange={(e) => update({ abHeader: { ...draft.abHeader, value: e.target.value } })} />
            </Field>
            <Field label="Cookie name" help="Optional: requests carrying this cookie too.">
              <input value={draft.abCookie.name} onChange={(e) => update({ abCookie: { ...draft.abCookie, name: e.target.value } })} />
            </Field>
            <Field label="Cookie value">
              <input value={draft.abCookie.value} onChange={(e) => update({ abCookie: { ...draft.abCookie, value: e.target.value } })} />
            </Field>
          </>
        ) : null}
        {draft.strategy !== "canary" ? (
          <Field label={draft.strategy === "abTesting" ? "A/B iterations" : "Preview iterations"} help="Passing intervals before promotion." error={issueAt(issues, `spec.strategy.${draft.strategy}`)}>
            <NumberInput value={draft.iterations} min={1} onChange={(n) => update({ iterations: n })} />
          </Field>
        ) : null}
      </div>
      <fieldset className="form-object">
        <legend>Mirror phase</legend>
        <label className={styles.check}>
          <input type="checkbox" checked={draft.mirror.enabled} onChange={(e) => update({ mirror: { ...draft.mirror, enabled: e.target.checked } })} /> Before any live traffic, send copies of requests to the canary (its responses are discarded) and analyse them on their own
        </label>
        {draft.mirror.enabled ? (
          <div className="form-grid">
            <Field label="Mirror percent" error={issueAt(issues, "spec.strategy.mirror.percent")}>
              <NumberInput value={draft.mirror.percent} min={1} max={100} onChange={(n) => update({ mirror: { ...draft.mirror, percent: n } })} />
            </Field>
            <Field label="Mirror iterations" error={issueAt(issues, "spec.strategy.mirror.iterations")}>
              <NumberInput value={draft.mirror.iterations} min={1} onChange={(n) => update({ mirror: { ...draft.mirror, iterations: n } })} />
            </Field>
          </div>
        ) : null}
      </fieldset>
      {chart ? <WeightPreviewChart chart={chart} /> : <p className="field-error">Fix the fields above to see the preview.</p>}
    </div>
  );
}
