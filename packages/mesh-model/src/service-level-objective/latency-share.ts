// "How many requests took at most T?" read from a DDSketch, for latency
// SLIs with any threshold (Sloth #506: histogram SLIs only work at bucket
// bounds). A bucket counts as under T when its representative value is at
// most T, the same rule the sketch's quantiles use. Every value lies within
// the sketch's relative accuracy `a` of its bucket's representative, so only
// requests within a·T of the threshold can land on the wrong side: the count
// lies between the exact counts under T·(1−a) and under T·(1+a). The
// manager's rollups hold the proxies' 1 % sketches re-bucketed from seconds
// to milliseconds (at most one more `a`), so there the band is ±2 % of T.
import { LatencySketch, type LatencySketchData } from "../proxy-config/latency-sketch.ts";

/** Relative error band of a latency SLI read from the manager's rollups: requests within ±2 % of the threshold may be counted on either side. */
export const ROLLUP_LATENCY_THRESHOLD_ERROR = 0.02;

/** Requests of `sketch` that took at most `thresholdMs` (see the file comment for the error). */
export function countAtMost(sketch: LatencySketchData, thresholdMs: number): number {
  if (sketch.count === 0) return 0;
  // The extremes are exact.
  if (thresholdMs >= sketch.max) return sketch.count;
  if (thresholdMs < sketch.min) return 0;
  const shape = new LatencySketch(sketch.relativeAccuracy);
  let under = sketch.zeroCount;
  for (let k = 0; k < sketch.counts.length; k++) {
    const c = sketch.counts[k] ?? 0;
    if (c === 0) continue;
    if (shape.bucketValue(sketch.offset + k) > thresholdMs) break;
    under += c;
  }
  return Math.min(under, sketch.count);
}
