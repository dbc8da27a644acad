// Why requests to a service (or over one edge) failed, from recorded spans:
// the requests are the callers' CLIENT spans to the service (and, for a
// service's own view, the SERVER spans of requests that entered the mesh
// there); each failed one is explained by the proxy that set a response
// flag in its trace (the earliest failed span with flags: the hop that gave
// up, such as an east-west gateway that could not connect), else by its own
// status. Pure: the repository reads, this decides.
import { isSpanError } from "@weft/mesh-model";
import type { SpanRow } from "./spans.repository.ts";

/** The proxy that recorded the span that explains a failure. */
export interface CauseRecorder {
  cluster: string;
  namespace: string;
  service: string;
  kind: "SERVER" | "CLIENT";
}

/** One reason requests failed: status, flags, and where the flags were set. */
export interface FailureCause {
  /** HTTP status the caller got (0: no response). */
  statusCode: number | null;
  /** Response flags of the hop that gave up, e.g. "UF"; empty when no proxy set one. */
  responseFlags: string;
  recordedBy: CauseRecorder;
  /** Failed requests with this cause. */
  count: number;
  /** count / all requests seen, 0–100. */
  percent: number;
  /** Up to five traces that show it, newest first. */
  traceIds: string[];
}

export interface FailureExplanation {
  /** Requests the spans show (sampled traces only). */
  requests: number;
  failed: number;
  causes: FailureCause[];
}

const TRACES_PER_CAUSE = 5;

/**
 * Groups failed requests by cause. `requests` are the spans that stand for
 * one request each (newest first); `traceSpans` every span of the failed
 * requests' traces.
 */
export function explainFailures(spans: readonly SpanRow[], traceSpans: readonly SpanRow[]): FailureExplanation {
  // A CLIENT span whose parent is another of these spans is a hop of the same request (a gateway passing it on), not a request.
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  const requests = spans.filter((s) => !(s.kind === "CLIENT" && s.parentSpanId !== null && ids.has(`${s.traceId}/${s.parentSpanId}`)));
  const byTrace = new Map<string, SpanRow[]>();
  for (const s of traceSpans) {
    const list = byTrace.get(s.traceId) ?? [];
    list.push(s);
    byTrace.set(s.traceId, list);
  }
  const causes = new Map<string, FailureCause>();
  let failed = 0;
  for (const request of requests) {
    if (!isSpanError(request)) continue;
    failed++;
    const origin = originOf(request, byTrace.get(request.traceId) ?? []);
    const recordedBy: CauseRecorder = { cluster: origin.cluster, namespace: origin.namespace, service: origin.service, kind: origin.kind };
    const key = JSON.stringify([request.statusCode, origin.responseFlags, recordedBy]);
    const cause = causes.get(key) ?? { statusCode: request.statusCode, responseFlags: origin.responseFlags, recordedBy, count: 0, percent: 0, traceIds: [] };
    cause.count++;
    if (cause.traceIds.length < TRACES_PER_CAUSE && !cause.traceIds.includes(request.traceId)) cause.traceIds.push(request.traceId);
    causes.set(key, cause);
  }
  const list = [...causes.values()].map((c) => ({ ...c, percent: requests.length === 0 ? 0 : (c.count / requests.length) * 100 }));
  list.sort((a, b) => b.count - a.count);
  return { requests: requests.length, failed, causes: list };
}

/**
 * The span whose flags explain `request`'s failure: of the failed spans of
 * its trace at or after it that carry flags, the one that started last (the
 * deepest hop that gave up saw the cause; the hops before it only passed
 * its answer on); else the request itself.
 */
function originOf(request: SpanRow, trace: readonly SpanRow[]): SpanRow {
  const flagged = trace.filter((s) => s.responseFlags && s.responseFlags !== "-" && isSpanError(s) && s.startTime >= request.startTime);
  flagged.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  return flagged[0] ?? request;
}
