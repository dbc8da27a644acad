// The manager stores each judged check as a row (kind, name, cluster,
// verdict, mode, query, values, threshold, sample count, message); the
// verdict table reads them back as mesh-model's RolloutCheck, so the same
// checkSummary text appears in the dashboard and the CLI.
import type { ErrorBudgetSlo, MetricCheck, RolloutCheck, StableComparison, WebhookType } from "@weft/mesh-model";
import type { StoredCheck } from "./verdict-rows.ts";

/** A stored check as rollouts.get returns it. */
export interface CheckRecordLike {
  id: string;
  attempt: number;
  wave: number;
  step: number;
  at: Date;
  windowFrom: Date | null;
  windowTo: Date | null;
  kind: string;
  name: string;
  cluster: string | null;
  verdict: string;
  mode: string;
  query: string;
  values: Record<string, unknown>;
  threshold: Record<string, unknown> | null;
  sampleCount: number;
  message: string;
}

/** What `values` holds per kind (metric, webhook, error budget): read loosely, older rows may lack fields. */
interface StoredValues {
  type?: string;
  value?: number | null;
  stableValue?: number | null;
  samples?: { canary: number; stable: number };
  comparison?: StableComparison | null;
  warnings?: string[];
  status?: number | null;
  attempts?: number;
  durationMs?: number;
  error?: string | null;
  slos?: ErrorBudgetSlo[];
}

function checkOf(r: CheckRecordLike): RolloutCheck {
  const v = r.values as StoredValues;
  switch (r.kind) {
    case "webhook":
      return { kind: "webhook", name: r.name, type: v.type as WebhookType, url: r.query, verdict: r.verdict === "pass" ? "pass" : "fail", status: v.status ?? null, attempts: v.attempts ?? 0, durationMs: v.durationMs ?? 0, error: v.error ?? null, reason: r.message };
    case "error-budget":
      return { kind: "error-budget", name: "error-budget", verdict: r.verdict as "pass" | "fail" | "no-slo", slos: v.slos ?? [], reason: r.message };
    default:
      return {
        kind: "metric",
        name: r.name,
        type: v.type as MetricCheck["type"],
        mode: r.mode === "Advisory" ? "Advisory" : "Blocking",
        cluster: r.cluster,
        verdict: r.verdict as "pass" | "fail" | "no-data",
        value: v.value ?? null,
        stableValue: v.stableValue ?? null,
        threshold: (r.threshold ?? { op: ">=", value: 0, unit: "%" }) as never,
        samples: v.samples ?? { canary: r.sampleCount, stable: 0 },
        comparison: v.comparison ?? null,
        warnings: v.warnings ?? [],
        reason: r.message,
      };
  }
}

/** Stored rows as the verdict table's checks. */
export function storedChecks(records: readonly CheckRecordLike[]): StoredCheck[] {
  return records.map((r) => ({ id: r.id, at: r.at, attempt: r.attempt, wave: r.wave, step: r.step, windowFrom: r.windowFrom, windowTo: r.windowTo, query: r.query, check: checkOf(r) }));
}
