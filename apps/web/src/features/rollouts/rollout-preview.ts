// The wizard's preview: the canary's weight over time, as the controller
// will walk it when every interval passes (mesh-model's weightTimeline), in
// the columns the chart component draws, with gates and waves marked.
import { planOf, weightTimeline, type RolloutSpec } from "@weft/mesh-model";

export interface PreviewChart {
  /** Seconds from the start. */
  x: number[];
  /** The canary's share of live requests; null where only matching requests go to it (A/B). */
  weight: (number | null)[];
  /** Mirror copies, in percent of live requests; null when not mirroring. */
  mirror: (number | null)[];
  markers: { at: number; label: string }[];
  /** Total time when every interval passes and gates are approved at once. */
  totalSeconds: number;
}

/** Step function columns: each segment contributes its start and end point, so weights change in steps. */
export function previewChart(spec: RolloutSpec): PreviewChart {
  const plan = planOf(spec);
  const segments = weightTimeline(plan, (spec.strategy.blueGreen?.previewMatches?.length ?? 0) > 0);
  const out: PreviewChart = { x: [0], weight: [0], mirror: [null], markers: [], totalSeconds: 0 };
  let lastWave = 0;
  for (const s of segments) {
    if (s.wave !== lastWave) {
      out.markers.push({ at: s.fromMs / 1000, label: `wave ${s.wave + 1}: ${plan.waves[s.wave]?.clusters?.join(", ") ?? "every cluster"}` });
      lastWave = s.wave;
    }
    if (s.gate) out.markers.push({ at: s.fromMs / 1000, label: `approval (wave ${s.wave + 1})` });
    if (s.toMs === s.fromMs) continue;
    out.x.push(s.fromMs / 1000, s.toMs / 1000);
    out.weight.push(s.weight, s.weight);
    out.mirror.push(s.mirrorPercent, s.mirrorPercent);
  }
  out.totalSeconds = segments.length > 0 ? (segments.at(-1)?.toMs ?? 0) / 1000 : 0;
  return out;
}
