// A Rollout's strategy expanded into the steps the controller walks, the
// waves of clusters it walks them in, and the traffic each step produces.
// The dashboard's weight-over-time preview reads the same expansion, so the
// chart shows exactly what the controller will do.
import { durationMs, formatDuration } from "../common/duration.ts";
import type { RolloutSpec } from "./rollout.schema.ts";

/** One step of a rollout, as the controller walks it. */
export type RolloutStep =
  /** Copies of live requests go to the canary (responses discarded) for `iterations` passing intervals. */
  | { kind: "mirror"; percent: number; iterations: number }
  /** The canary gets `weight` % of the requests for one passing interval. */
  | { kind: "weight"; weight: number }
  /** Hold the current traffic for a while. */
  | { kind: "pause"; durationMs: number }
  /** Hold the current traffic until an operator approves. */
  | { kind: "approval"; reason: string | null }
  /** Matching requests (A/B) go to the canary for `iterations` passing intervals. */
  | { kind: "match"; iterations: number }
  /** Blue-green preview: live traffic stays on stable (previewMatches aside) for `iterations` passing intervals. */
  | { kind: "preview"; iterations: number }
  /** All of the wave's traffic goes to the canary; one passing interval finishes the wave. */
  | { kind: "promote" };

export type RolloutStepKind = RolloutStep["kind"];

/** What a wave's clusters do with the service's requests. */
export type Traffic =
  | { mode: "stable" }
  | { mode: "weighted"; weight: number }
  | { mode: "mirror"; percent: number }
  /** Requests matching the strategy's matches (A/B, or blue-green previewMatches) go to the canary. */
  | { mode: "match" }
  | { mode: "canary" };

/** A group of clusters that walks the steps together; `null` clusters: every cluster (the rollout names none). */
export interface RolloutWave {
  clusters: string[] | null;
}

/** The steps and waves of a rollout. */
export interface RolloutPlan {
  steps: RolloutStep[];
  waves: RolloutWave[];
  intervalMs: number;
}

/** The weights stepWeight/maxWeight produce: step, 2·step, … up to maxWeight (100 is the promotion). */
export function stepWeights(stepWeight: number, maxWeight = 100): number[] {
  const out: number[] = [];
  for (let w = stepWeight; w <= maxWeight && w < 100; w += stepWeight) out.push(w);
  return out;
}

/** Expands a (validated) Rollout spec into its steps and waves. */
export function planOf(spec: RolloutSpec): RolloutPlan {
  const steps: RolloutStep[] = [];
  const { strategy } = spec;
  if (strategy.mirror) steps.push({ kind: "mirror", percent: strategy.mirror.percent, iterations: strategy.mirror.iterations });
  if (strategy.canary?.steps) {
    for (const s of strategy.canary.steps) {
      if (s.setWeight !== undefined) steps.push(s.setWeight >= 100 ? { kind: "promote" } : { kind: "weight", weight: s.setWeight });
      else if (s.pause) steps.push({ kind: "pause", durationMs: durationMs(s.pause.duration) });
      else steps.push({ kind: "approval", reason: s.approval?.reason ?? null });
    }
  } else if (strategy.canary?.stepWeight !== undefined) {
    for (const weight of stepWeights(strategy.canary.stepWeight, strategy.canary.maxWeight)) steps.push({ kind: "weight", weight });
    steps.push({ kind: "promote" });
  } else if (strategy.abTesting) {
    steps.push({ kind: "match", iterations: strategy.abTesting.iterations }, { kind: "promote" });
  } else if (strategy.blueGreen) {
    steps.push({ kind: "preview", iterations: strategy.blueGreen.previewIterations }, { kind: "promote" });
  }
  const waves: RolloutWave[] = spec.waves ? spec.waves.groups.map((g) => ({ clusters: [...g.clusters] })) : [{ clusters: spec.clusters ? [...spec.clusters] : null }];
  return { steps, waves, intervalMs: durationMs(spec.analysis.interval) };
}

/**
 * The traffic a wave has while it is at step `index` (entered): pauses and
 * gates keep the traffic of the step before them; before any traffic step,
 * stable. `hasPreviewMatches` decides whether a blue-green preview sends
 * matching requests to the canary.
 */
export function trafficAt(plan: RolloutPlan, index: number, hasPreviewMatches: boolean): Traffic {
  for (let i = Math.min(index, plan.steps.length - 1); i >= 0; i--) {
    const step = plan.steps[i] as RolloutStep;
    switch (step.kind) {
      case "mirror":
        return { mode: "mirror", percent: step.percent };
      case "weight":
        return { mode: "weighted", weight: step.weight };
      case "match":
        return { mode: "match" };
      case "preview":
        return hasPreviewMatches ? { mode: "match" } : { mode: "stable" };
      case "promote":
        return { mode: "canary" };
      case "pause":
      case "approval":
        continue;
    }
  }
  return { mode: "stable" };
}

/** Share of the live requests the canary gets under `traffic` (a match has no fixed share: null). */
export function canaryShare(traffic: Traffic): number | null {
  switch (traffic.mode) {
    case "stable":
    case "mirror":
      return 0;
    case "weighted":
      return traffic.weight;
    case "canary":
      return 100;
    case "match":
      return null;
  }
}

/** True when moving from `from` to `to` gives the canary more live traffic (confirm-traffic-increase hooks guard it). */
export function increasesCanaryTraffic(from: Traffic, to: Traffic): boolean {
  if (to.mode === "match") return from.mode !== "match" && from.mode !== "canary";
  const before = canaryShare(from) ?? 0;
  const after = canaryShare(to) ?? 0;
  return after > before;
}

/** Two traffic states are the same. */
export function sameTraffic(a: Traffic, b: Traffic): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One segment of the weight-over-time preview. */
export interface TimelineSegment {
  wave: number;
  /** Index into the plan's steps. */
  step: number;
  kind: RolloutStepKind;
  /** Milliseconds from the start, assuming every interval passes and gates are approved at once. */
  fromMs: number;
  toMs: number;
  /** The canary's share of live requests; null for a match (only matching requests). */
  weight: number | null;
  /** Mirror copies (percent of live requests), when mirroring. */
  mirrorPercent: number | null;
  /** A manual gate waits here for an approval (its length is unknown). */
  gate: boolean;
}

/**
 * The weight over time of a rollout whose every interval passes: what the
 * wizard's preview chart draws. Each traffic step lasts its passing
 * intervals (one for a weight, `iterations` for mirror, match and preview,
 * one at promotion); a pause its duration; a gate no time (marked `gate`).
 */
export function weightTimeline(plan: RolloutPlan, hasPreviewMatches = false): TimelineSegment[] {
  const out: TimelineSegment[] = [];
  let at = 0;
  plan.waves.forEach((_wave, w) => {
    plan.steps.forEach((step, i) => {
      const length =
        step.kind === "pause" ? step.durationMs : step.kind === "approval" ? 0 : plan.intervalMs * (step.kind === "mirror" || step.kind === "match" || step.kind === "preview" ? step.iterations : 1);
      const traffic = trafficAt(plan, i, hasPreviewMatches);
      out.push({
        wave: w,
        step: i,
        kind: step.kind,
        fromMs: at,
        toMs: at + length,
        weight: canaryShare(traffic),
        mirrorPercent: traffic.mode === "mirror" ? traffic.percent : null,
        gate: step.kind === "approval",
      });
      at += length;
    });
  });
  return out;
}

/** A short human label of a step: "20 %", "pause 5m", "approval", "mirror 100 %", "A/B ×5", "preview ×3", "promote". */
export function describeStep(step: RolloutStep): string {
  switch (step.kind) {
    case "mirror":
      return `mirror ${step.percent} % ×${step.iterations}`;
    case "weight":
      return `${step.weight} %`;
    case "pause":
      return `pause ${formatDuration(step.durationMs)}`;
    case "approval":
      return "approval";
    case "match":
      return `A/B ×${step.iterations}`;
    case "preview":
      return `preview ×${step.iterations}`;
    case "promote":
      return "promote (100 %)";
  }
}
