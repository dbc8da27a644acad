// The canary wizard's form state and the Rollout document it makes. Pure:
// the wizard binds it to inputs; validation is the schema's own (same
// messages and paths as the API), so the review step shows exactly what
// the manager will refuse.
import { validateResource, type RolloutInput, type ValidationIssue, type WebhookType } from "@weft/mesh-model";

export type DraftStrategy = "canary" | "abTesting" | "blueGreen";

export interface DraftWebhook {
  name: string;
  type: WebhookType;
  url: string;
  timeout: string;
  retries: number;
}

/** What the wizard edits. Numbers are what the inputs hold (NaN when empty). */
export interface RolloutDraft {
  namespace: string;
  name: string;
  service: string;
  stable: string;
  canary: string;
  /** Clusters to roll out in; empty: every cluster. */
  clusters: string[];
  /** One wave per selected cluster, in the order selected. */
  waves: boolean;
  onWaveFailure: "Pause" | "RollbackAll";
  strategy: DraftStrategy;
  /** Canary weights, in order; 100 is appended when missing (promotion). */
  weights: number[];
  /** A manual gate before the promotion. */
  approvalBeforePromotion: boolean;
  abHeader: { name: string; value: string };
  abCookie: { name: string; value: string };
  iterations: number;
  mirror: { enabled: boolean; percent: number; iterations: number };
  interval: string;
  threshold: number;
  minRequests: number;
  successRateMin: number;
  maxDropVsStable: number | null;
  p99MaxMs: number | null;
  p99MaxIncrease: number | null;
  latencyAdvisory: boolean;
  webhooks: DraftWebhook[];
  errorBudgetGate: boolean;
  promotion: "Automatic" | "Manual";
  sessionAffinity: boolean;
  shadow: "" | "RecordOnly" | "PauseOnFailure";
}

/** A fresh draft for a service: 10/25/50 then promotion, a one-minute interval, thresholds to be pre-filled. */
export function initialDraft(namespace: string, service: string, stable = "", canary = ""): RolloutDraft {
  return {
    namespace,
    name: service,
    service,
    stable,
    canary,
    clusters: [],
    waves: false,
    onWaveFailure: "RollbackAll",
    strategy: "canary",
    weights: [10, 25, 50],
    approvalBeforePromotion: false,
    abHeader: { name: "x-canary", value: "always" },
    abCookie: { name: "", value: "" },
    iterations: 5,
    mirror: { enabled: false, percent: 100, iterations: 1 },
    interval: "1m",
    threshold: 3,
    minRequests: 50,
    successRateMin: 99,
    maxDropVsStable: 1,
    p99MaxMs: null,
    p99MaxIncrease: 50,
    latencyAdvisory: false,
    webhooks: [],
    errorBudgetGate: false,
    promotion: "Automatic",
    sessionAffinity: false,
    shadow: "",
  };
}

function canarySteps(draft: RolloutDraft): Record<string, unknown>[] {
  const weights = draft.weights.filter((w) => w !== 100);
  const steps: Record<string, unknown>[] = weights.map((w) => ({ setWeight: w }));
  if (draft.approvalBeforePromotion) steps.push({ approval: { reason: "check the canary before promotion" } });
  steps.push({ setWeight: 100 });
  return steps;
}

function strategyOf(draft: RolloutDraft): Record<string, unknown> {
  const mirror = draft.mirror.enabled ? { mirror: { percent: draft.mirror.percent, iterations: draft.mirror.iterations } } : {};
  switch (draft.strategy) {
    case "canary":
      return { canary: { steps: canarySteps(draft) }, ...mirror };
    case "abTesting": {
      const matches: Record<string, unknown>[] = [];
      if (draft.abHeader.name) matches.push({ headers: [{ name: draft.abHeader.name, value: draft.abHeader.value }] });
      if (draft.abCookie.name) matches.push({ cookies: [{ name: draft.abCookie.name, value: draft.abCookie.value }] });
      return { abTesting: { matches, iterations: draft.iterations }, ...mirror };
    }
    case "blueGreen":
      return { blueGreen: { previewIterations: draft.iterations }, ...mirror };
  }
}

function metricsOf(draft: RolloutDraft): Record<string, unknown>[] {
  const metrics: Record<string, unknown>[] = [{ name: "success-rate", type: "SuccessRate", min: draft.successRateMin, ...(draft.maxDropVsStable !== null ? { maxDropVsStable: draft.maxDropVsStable } : {}) }];
  if (draft.p99MaxMs !== null)
    metrics.push({
      name: "latency-p99",
      type: "LatencyP99",
      max: `${draft.p99MaxMs}ms`,
      ...(draft.p99MaxIncrease !== null ? { maxIncreaseVsStable: draft.p99MaxIncrease } : {}),
      mode: draft.latencyAdvisory ? "Advisory" : "Blocking",
    });
  return metrics;
}

/** The Rollout document of a draft (not validated: see {@link validateDraft}). */
export function draftToDocument(draft: RolloutDraft): RolloutInput {
  const clusters = draft.clusters.length > 0 ? { clusters: [...draft.clusters] } : {};
  const waves = draft.waves && draft.clusters.length > 1 ? { waves: { groups: draft.clusters.map((c) => ({ clusters: [c] })), onFailure: draft.onWaveFailure } } : {};
  return {
    apiVersion: "weft.io/v1alpha1",
    kind: "Rollout",
    metadata: { name: draft.name, namespace: draft.namespace },
    spec: {
      service: { name: draft.service },
      stable: { version: draft.stable },
      canary: { version: draft.canary },
      ...clusters,
      ...waves,
      strategy: strategyOf(draft),
      analysis: {
        interval: draft.interval,
        threshold: draft.threshold,
        minRequests: draft.minRequests,
        metrics: metricsOf(draft),
        ...(draft.webhooks.length > 0 ? { webhooks: draft.webhooks.map((w) => ({ ...w })) } : {}),
        errorBudgetGate: draft.errorBudgetGate,
      },
      promotion: draft.promotion,
      ...(draft.sessionAffinity && draft.strategy === "canary" ? { sessionAffinity: {} } : {}),
      ...(draft.shadow ? { shadow: { mode: draft.shadow } } : {}),
    },
  } as RolloutInput;
}

/** The schema's verdict on the draft's document: every issue with its field path. */
export function validateDraft(draft: RolloutDraft): ValidationIssue[] {
  const result = validateResource(draftToDocument(draft));
  return result.ok ? [] : result.issues;
}

/** Parses "10, 25, 50" into weights; NaN entries stay so validation names them. */
export function parseWeights(text: string): number[] {
  return text
    .split(/[\s,]+/)
    .filter((s) => s.length > 0)
    .map(Number);
}
