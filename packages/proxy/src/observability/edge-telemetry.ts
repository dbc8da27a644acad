// Per-edge request telemetry: a counter, a Prometheus histogram (fixed
// buckets, for scraping) and a mergeable latency sketch (1 % relative error,
// for the agent) per source → destination edge, response code, flags and
// gRPC status. The hot path is one string key, one map lookup and a few
// array writes; label objects only exist when /metrics is rendered.
import { LatencySketch, type LatencySketchData } from "@weft/mesh-model/proxy-config";
import { LATENCY_BUCKETS_SECONDS, type Family } from "./metrics.ts";

/** Label names of weft_requests_total and weft_request_duration_seconds, in order. */
export const EDGE_LABEL_NAMES = [
  "source_service",
  "source_version",
  "source_cluster",
  "destination_service",
  "destination_version",
  "destination_cluster",
  "response_code",
  "response_flags",
  "grpc_status",
  "source_identity",
  "mtls",
] as const;

export type EdgeLabels = Record<(typeof EDGE_LABEL_NAMES)[number], string>;

interface EdgeEntry {
  values: string[];
  count: number;
  sumSeconds: number;
  buckets: Float64Array;
  /** Latencies since the agent last collected. */
  sketch: LatencySketch;
}

/** One edge in the wire form the agent collects. */
export interface EdgeReport {
  labels: EdgeLabels;
  /** Requests since the last collection. */
  count: number;
  sketch: LatencySketchData;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

export class EdgeTelemetry {
  private readonly edges = new Map<string, EdgeEntry>();

  /** Records one finished request. `values` follow EDGE_LABEL_NAMES. */
  record(
    sourceService: string,
    sourceVersion: string,
    sourceCluster: string,
    destinationService: string,
    destinationVersion: string,
    destinationCluster: string,
    responseCode: string,
    responseFlags: string,
    grpcStatus: string,
    sourceIdentity: string,
    mtls: string,
    seconds: number,
  ): void {
    const key = `${sourceService}\u0001${sourceVersion}\u0001${sourceCluster}\u0001${destinationService}\u0001${destinationVersion}\u0001${destinationCluster}\u0001${responseCode}\u0001${responseFlags}\u0001${grpcStatus}\u0001${sourceIdentity}\u0001${mtls}`;
    let e = this.edges.get(key);
    if (!e) {
      e = {
        values: [sourceService, sourceVersion, sourceCluster, destinationService, destinationVersion, destinationCluster, responseCode, responseFlags, grpcStatus, sourceIdentity, mtls],
        count: 0,
        sumSeconds: 0,
        buckets: new Float64Array(LATENCY_BUCKETS_SECONDS.length),
        sketch: new LatencySketch(),
      };
      this.edges.set(key, e);
    }
    e.count++;
    e.sumSeconds += seconds;
    const b = LATENCY_BUCKETS_SECONDS;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= (b[i] ?? Infinity)) {
        e.buckets[i] = (e.buckets[i] ?? 0) + 1;
        break;
      }
    }
    e.sketch.add(seconds);
  }

  /** Requests recorded for the edges matching `labels` (tests, /stats). */
  count(labels: Partial<EdgeLabels> = {}): number {
    let n = 0;
    for (const e of this.edges.values()) {
      if (EDGE_LABEL_NAMES.every((name, i) => labels[name] === undefined || labels[name] === e.values[i])) n += e.count;
    }
    return n;
  }

  /**
   * The per-edge sketches accumulated since the previous call, then resets
   * them (the agent ships these deltas; sketches merge exactly).
   */
  collect(): EdgeReport[] {
    const out: EdgeReport[] = [];
    for (const e of this.edges.values()) {
      if (e.sketch.count === 0) continue;
      const labels = Object.fromEntries(EDGE_LABEL_NAMES.map((n, i) => [n, e.values[i] ?? ""])) as EdgeLabels;
      out.push({ labels, count: e.sketch.count, sketch: e.sketch.toJSON() });
      e.sketch = new LatencySketch();
    }
    return out;
  }

  /** weft_requests_total and weft_request_duration_seconds. */
  families(): Family[] {
    const labelText = (e: EdgeEntry, extra?: string) => {
      const parts = EDGE_LABEL_NAMES.map((n, i) => `${n}="${escapeLabel(e.values[i] ?? "")}"`);
      if (extra) parts.push(extra);
      return `{${parts.join(",")}}`;
    };
    return [
      {
        render: () => {
          const lines = ["# HELP weft_requests_total Requests handled, by edge, response code, response flags and gRPC status.", "# TYPE weft_requests_total counter"];
          for (const e of this.edges.values()) lines.push(`weft_requests_total${labelText(e)} ${e.count}`);
          return lines.join("\n");
        },
      },
      {
        render: () => {
          const lines = [
            "# HELP weft_request_duration_seconds Request duration from arrival to the end of the response, in seconds.",
            "# TYPE weft_request_duration_seconds histogram",
          ];
          for (const e of this.edges.values()) {
            let cumulative = 0;
            LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
              cumulative += e.buckets[i] ?? 0;
              lines.push(`weft_request_duration_seconds_bucket${labelText(e, `le="${le}"`)} ${cumulative}`);
            });
            lines.push(`weft_request_duration_seconds_bucket${labelText(e, 'le="+Inf"')} ${e.count}`);
            lines.push(`weft_request_duration_seconds_sum${labelText(e)} ${Number(e.sumSeconds.toPrecision(12))}`);
            lines.push(`weft_request_duration_seconds_count${labelText(e)} ${e.count}`);
          }
          return lines.join("\n");
        },
      },
    ];
  }
}
