"use client";

import type { RetryOn } from "@weft/mesh-model";
import { useMemo, useState } from "react";
import { Field, NumberInput } from "../rollouts/wizard-fields.tsx";
import { RETRY_CONDITIONS, RETRY_FIELDS, retriedPolicy, retryDraftOf, retryEffect, type RetryDraft } from "./timeouts-retries.ts";
import { useServicePolicy } from "./use-service-policy.ts";
import { WizardIssues } from "./wizard-issues.ts";
import { useOpenReview, WizardShell } from "./wizard-shell.tsx";
import styles from "./wizards.module.css";

/**
 * The request timeout and retries of calls to a service (its TrafficPolicy),
 * with the retry budget and what it all does in words. Fields are checked
 * with the schema the manager uses; Review opens the ordinary editor, and
 * reopening starts from the stored policy.
 */
export function TimeoutsRetriesWizard({ namespace, service, observedPerSecond }: { namespace: string; service: string; observedPerSecond?: number }) {
  const { pending, policy, stored } = useServicePolicy(namespace, service);
  const initial = useMemo(() => retryDraftOf(stored ? policy : null), [policy, stored]);
  const [edited, setEdited] = useState<RetryDraft | null>(null);
  const draft = edited ?? initial;
  const document = useMemo(() => retriedPolicy(policy, draft), [policy, draft]);
  const issues = useMemo(() => WizardIssues.of(document, RETRY_FIELDS), [document]);
  const openReview = useOpenReview();
  if (pending) return null;
  const set = (change: Partial<RetryDraft>) => setEdited({ ...draft, ...change });
  const toggle = (c: RetryOn, on: boolean) => set({ retryOn: on ? [...draft.retryOn, c] : draft.retryOn.filter((x) => x !== c) });
  return (
    <WizardShell
      title="Timeouts and retries"
      headingId="retries-heading"
      testId="retries-wizard"
      intro={`${stored ? `Edits TrafficPolicy ${namespace}/${policy.metadata.name}` : `Creates TrafficPolicy ${namespace}/${policy.metadata.name}`} for calls to ${service}; its other settings are kept.`}
      problems={issues.unplaced()}
      blocked={!issues.ok}
      onReview={() => openReview(document, stored ? policy.metadata.name : null)}
    >
      <Field label="Request timeout" help='Retries included; empty for none. A duration: "15s", "1m".' error={issues.at("spec.timeouts.request")}>
        <input value={draft.requestTimeout} aria-invalid={issues.at("spec.timeouts.request") ? true : undefined} onChange={(e) => set({ requestTimeout: e.target.value })} data-testid="retries-timeout" />
      </Field>
      <fieldset className={styles.group}>
        <legend>
          <label className={styles.check}>
            <input type="checkbox" checked={draft.retries} onChange={(e) => set({ retries: e.target.checked })} data-testid="retries-enabled" /> Retry failed calls
          </label>
        </legend>
        {draft.retries ? (
          <>
            <div className={styles.fields}>
              <Field label="Retries after the first attempt" error={issues.at("spec.retries.attempts")}>
                <NumberInput value={draft.attempts} min={1} max={100} invalid={Boolean(issues.at("spec.retries.attempts"))} onChange={(n) => set({ attempts: n })} />
              </Field>
              <Field label="Per-try timeout" help="Each attempt, the first included; empty for none." error={issues.at("spec.retries.perTryTimeout")}>
                <input value={draft.perTryTimeout} aria-invalid={issues.at("spec.retries.perTryTimeout") ? true : undefined} onChange={(e) => set({ perTryTimeout: e.target.value })} data-testid="retries-per-try" />
              </Field>
            </div>
            <div role="group" aria-label="Retry on" className="stack">
              <span className="field-label">Retry on</span>
              {RETRY_CONDITIONS.map((c) => (
                <label key={c} className={styles.check}>
                  <input type="checkbox" checked={draft.retryOn.includes(c)} onChange={(e) => toggle(c, e.target.checked)} /> {c}
                </label>
              ))}
              {issues.at("spec.retries.retryOn") ? <span className="field-error">{issues.at("spec.retries.retryOn")}</span> : null}
            </div>
            {draft.retryOn.includes("retriable-status-codes") || draft.statusCodes.trim() ? (
              <Field label="Retriable statuses" help="HTTP statuses, comma-separated: 503, 504." error={issues.at("spec.retries.retriableStatusCodes")}>
                <input value={draft.statusCodes} aria-invalid={issues.at("spec.retries.retriableStatusCodes") ? true : undefined} onChange={(e) => set({ statusCodes: e.target.value })} />
              </Field>
            ) : null}
            <fieldset className={styles.group}>
              <legend>
                <label className={styles.check}>
                  <input type="checkbox" checked={draft.budget} onChange={(e) => set({ budget: e.target.checked })} data-testid="retries-budget-enabled" /> Retry budget
                </label>
              </legend>
              {draft.budget ? (
                <div className={styles.fields}>
                  <Field label="Retries at most (% of requests)" error={issues.at("spec.retries.budget.percent")}>
                    <NumberInput value={draft.budgetPercent} min={0} max={100} invalid={Boolean(issues.at("spec.retries.budget.percent"))} onChange={(n) => set({ budgetPercent: n })} />
                  </Field>
                  <Field label="Always allowed (retries/s)" error={issues.at("spec.retries.budget.minRetriesPerSecond")}>
                    <NumberInput value={draft.minRetriesPerSecond} min={0} invalid={Boolean(issues.at("spec.retries.budget.minRetriesPerSecond"))} onChange={(n) => set({ minRetriesPerSecond: n })} />
                  </Field>
                </div>
              ) : null}
            </fieldset>
          </>
        ) : null}
      </fieldset>
      <ul className={styles.effect} aria-label="What this does" data-testid="retries-effect">
        {retryEffect(draft, observedPerSecond).map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
    </WizardShell>
  );
}
