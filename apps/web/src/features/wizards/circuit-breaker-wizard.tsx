"use client";

import { useMemo, useState } from "react";
import { Field, NumberInput } from "../rollouts/wizard-fields.tsx";
import { BREAKER_FIELDS, breakerDraftOf, breakerEffect, brokenPolicy, type BreakerDraft } from "./circuit-breaker.ts";
import { useServicePolicy } from "./use-service-policy.ts";
import { WizardIssues } from "./wizard-issues.ts";
import { useOpenReview, WizardShell } from "./wizard-shell.tsx";
import styles from "./wizards.module.css";

type NumberKey = { [K in keyof BreakerDraft]: BreakerDraft[K] extends number ? K : never }[keyof BreakerDraft];
type TextKey = "interval" | "baseEjectionTime" | "maxEjectionTime";

const LIMITS: [NumberKey, string][] = [
  ["maxConnections", "Connections at most"],
  ["maxRequests", "Requests in flight at most"],
  ["maxPendingRequests", "Requests waiting at most"],
  ["maxRetries", "Retries in flight at most"],
];

/**
 * Circuit breaking (connection and request limits) and outlier detection
 * (ejecting failing endpoints) for calls to a service: its TrafficPolicy,
 * with what it does in words. Fields are checked with the schema the manager
 * uses; Review opens the ordinary editor; reopening starts from the stored policy.
 */
export function CircuitBreakerWizard({ namespace, service }: { namespace: string; service: string }) {
  const { pending, policy, stored } = useServicePolicy(namespace, service);
  const initial = useMemo(() => breakerDraftOf(stored ? policy : null), [policy, stored]);
  const [edited, setEdited] = useState<BreakerDraft | null>(null);
  const draft = edited ?? initial;
  const document = useMemo(() => brokenPolicy(policy, draft), [policy, draft]);
  const issues = useMemo(() => WizardIssues.of(document, BREAKER_FIELDS), [document]);
  const openReview = useOpenReview();
  if (pending) return null;
  const set = (change: Partial<BreakerDraft>) => setEdited({ ...draft, ...change });
  const num = (key: NumberKey, label: string, section: "circuitBreaker" | "outlierDetection", extra: { min?: number; max?: number; help?: string } = {}) => {
    const error = issues.at(`spec.${section}.${key}`);
    return (
      <Field key={key} label={label} help={extra.help} error={error}>
        <NumberInput value={draft[key]} min={extra.min} max={extra.max} invalid={Boolean(error)} onChange={(n) => set({ [key]: n } as Partial<BreakerDraft>)} />
      </Field>
    );
  };
  const text = (key: TextKey, label: string) => {
    const error = issues.at(`spec.outlierDetection.${key}`);
    return (
      <Field key={key} label={label} error={error}>
        <input value={draft[key]} aria-invalid={error ? true : undefined} onChange={(e) => set({ [key]: e.target.value } as Partial<BreakerDraft>)} data-testid={`breaker-${key}`} />
      </Field>
    );
  };
  return (
    <WizardShell
      title="Circuit breaking and outlier detection"
      headingId="breaker-heading"
      testId="breaker-wizard"
      intro={`${stored ? `Edits TrafficPolicy ${namespace}/${policy.metadata.name}` : `Creates TrafficPolicy ${namespace}/${policy.metadata.name}`} for calls to ${service}; its other settings are kept.`}
      problems={issues.unplaced()}
      blocked={!issues.ok}
      onReview={() => openReview(document, stored ? policy.metadata.name : null)}
    >
      <fieldset className={styles.group}>
        <legend>
          <label className={styles.check}>
            <input type="checkbox" checked={draft.limits} onChange={(e) => set({ limits: e.target.checked })} data-testid="breaker-limits-enabled" /> Limit connections and requests (circuit breaker)
          </label>
        </legend>
        {draft.limits ? <div className={styles.fields}>{LIMITS.map(([key, label]) => num(key, label, "circuitBreaker", { min: key === "maxRetries" ? 0 : 1 }))}</div> : null}
      </fieldset>
      <fieldset className={styles.group}>
        <legend>
          <label className={styles.check}>
            <input type="checkbox" checked={draft.outlier} onChange={(e) => set({ outlier: e.target.checked })} data-testid="breaker-outlier-enabled" /> Eject failing endpoints (outlier detection)
          </label>
        </legend>
        {draft.outlier ? (
          <div className={styles.fields}>
            {num("consecutive5xx", "Eject after consecutive 5xx", "outlierDetection", { min: 1 })}
            <Field label="Or after consecutive 502/503/504" help="Empty: off." error={issues.at("spec.outlierDetection.consecutiveGatewayErrors")}>
              <NumberInput
                value={draft.consecutiveGatewayErrors}
                min={1}
                invalid={Boolean(issues.at("spec.outlierDetection.consecutiveGatewayErrors"))}
                onChange={(n) => set({ consecutiveGatewayErrors: Number.isNaN(n) ? null : n })}
              />
            </Field>
            {text("interval", "Check every")}
            {text("baseEjectionTime", "Eject for")}
            {text("maxEjectionTime", "Eject for at most")}
            {num("maxEjectionPercent", "Endpoints ejected at most (%)", "outlierDetection", { min: 0, max: 100 })}
          </div>
        ) : null}
      </fieldset>
      <ul className={styles.effect} aria-label="What this does" data-testid="breaker-effect">
        {breakerEffect(draft, `${namespace}/${service}`).map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
    </WizardShell>
  );
}
