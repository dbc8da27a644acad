// From a proxy's per-edge report (GET /telemetry: labels, count, a sketch in
// seconds) to the edge delta the manager's rollups take: one definition for
// the agent's shipper and for anything else that reads proxies directly
// (the manager's end-to-end tests do, on an injected clock).
import { LatencySketch, type LatencySketchData } from "../proxy-config/latency-sketch.ts";
import type { CodeClass, EdgeDelta } from "./telemetry.schema.ts";

/** Response class of an HTTP status as the proxy labels it (`0`: no response). */
export function codeClassOf(code: string): CodeClass {
  const n = Number(code);
  if (n >= 200 && n < 300) return "2xx";
  if (n >= 300 && n < 400) return "3xx";
  if (n >= 400 && n < 500) return "4xx";
  if (n >= 500 && n < 600) return "5xx";
  return "other"; // 0 (no response) and 1xx (an opened WebSocket)
}

/**
 * The proxy's sketch holds seconds; the manager's rollups hold milliseconds.
 * Rescaling re-buckets each bucket's representative value, which adds at
 * most one more relative accuracy to the error (2 % instead of 1 %); counts,
 * sum, min and max stay exact.
 */
export function sketchSecondsToMs(s: LatencySketchData): LatencySketchData {
  const from = LatencySketch.fromJSON({ ...s, counts: [], zeroCount: 0, count: 0, sum: 0, min: 0, max: 0 });
  const to = new LatencySketch(s.relativeAccuracy);
  s.counts.forEach((c, k) => {
    if (c > 0) to.add(from.bucketValue(s.offset + k) * 1000, c);
  });
  if (s.zeroCount > 0) to.add(0, s.zeroCount);
  const data = to.toJSON();
  return { ...data, count: s.count, sum: s.sum * 1000, min: s.min * 1000, max: s.max * 1000 };
}

/** One edge as a proxy reports it on GET /telemetry. */
export interface ProxyEdgeReport {
  labels: Record<string, string>;
  count: number;
  sketch: LatencySketchData;
}

/**
 * The rollup delta of one outbound edge of a local workload's proxy, or null
 * for the proxy's inbound records (reporter="destination"): the caller's
 * proxy sees every request of an edge once, and the inbound side would count
 * it twice. With mTLS the inbound record names the caller too (peer
 * metadata), so only the reporter label tells a self-call's two records apart.
 */
export function edgeDeltaOf(
  report: ProxyEdgeReport,
  workload: { cluster: string; namespace: string; service: string; version?: string | undefined },
  minute: number,
  namespaceOf: (service: string, callerNamespace: string) => string,
): (EdgeDelta & { latency: LatencySketchData }) | null {
  const l = report.labels;
  if (l.reporter === "destination" || l.source_service !== workload.service || l.source_cluster !== workload.cluster) return null;
  const codeClass = codeClassOf(l.response_code ?? "0");
  return {
    minute,
    source: { cluster: workload.cluster, namespace: workload.namespace, service: workload.service, version: workload.version ?? (l.source_version === "unknown" ? "" : (l.source_version ?? "")) },
    destination: {
      cluster: l.destination_cluster === "unknown" ? "" : (l.destination_cluster ?? ""),
      namespace: namespaceOf(l.destination_service ?? "", workload.namespace),
      service: l.destination_service || "unknown",
      version: l.destination_version === "unknown" ? "" : (l.destination_version ?? ""),
    },
    codeClass,
    requests: report.count,
    errors: codeClass === "5xx" || codeClass === "other" ? report.count : 0,
    mtlsRequests: l.mtls === "true" ? report.count : 0,
    latency: sketchSecondsToMs(report.sketch),
  };
}
