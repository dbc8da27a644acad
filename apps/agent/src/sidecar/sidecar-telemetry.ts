// Telemetry and spans injected sidecars push (the agent cannot read their
// loopback admin ports), fed into the same TelemetryShipper and SpanCollector
// buffers universal mode collects into, so they reach the manager the same
// way (and with the shipper's seq-based retry dedupe). Each push is labelled
// with the workload of the pod its token belongs to, never with anything the
// body claims. A sidecar resends an unanswered batch with the same id; each
// id is applied at most once per pod, so a lost answer never double counts.
import type { V1Pod } from "@kubernetes/client-node";
import type { SidecarBatchId, SidecarPushResult, SidecarSpansPush, SidecarTelemetryPush } from "@weft/mesh-model";
import type { SpanCollector } from "../telemetry/span-collector.ts";
import type { TelemetryShipper } from "../telemetry/telemetry-shipper.ts";
import { serviceOf } from "../webhook/sidecar-injection.ts";

export interface SidecarTelemetryIntakeOptions {
  shipper: TelemetryShipper;
  spans?: SpanCollector | undefined;
  /** The pod informer's view: state of pods that are gone is forgotten. */
  pod: (namespace: string, name: string) => V1Pod | undefined;
}

export interface IntakeStatus {
  telemetryBatches: number;
  spanBatches: number;
  duplicates: number;
  requests: number;
  spans: number;
}

/** The workload a pod's sidecar records for, as the agent knows the pod (same service and version as its compiled config). */
export function podWorkload(pod: V1Pod): { id: string; namespace: string; service: string; version: string } {
  const namespace = pod.metadata?.namespace ?? "default";
  return { id: `${namespace}/${pod.metadata?.name ?? ""}`, namespace, service: serviceOf(pod), version: pod.metadata?.labels?.version ?? "" };
}

export class SidecarTelemetryIntake {
  /** Last batch applied, per kind and pod. */
  #applied = new Map<string, SidecarBatchId>();
  #pushesSincePrune = 0;
  readonly status: IntakeStatus = { telemetryBatches: 0, spanBatches: 0, duplicates: 0, requests: 0, spans: 0 };

  constructor(private readonly options: SidecarTelemetryIntakeOptions) {}

  /** `pod` is the caller's pod, already authenticated and authorized. */
  telemetry(pod: V1Pod, push: SidecarTelemetryPush): SidecarPushResult {
    const workload = podWorkload(pod);
    if (this.#seen("telemetry", workload.id, push.batch)) return { accepted: 0, duplicate: true };
    const requests = this.options.shipper.addPushed(workload, push.edges, Date.parse(push.collectedAt));
    this.status.telemetryBatches++;
    this.status.requests += requests;
    return { accepted: push.edges.length, duplicate: false };
  }

  spans(pod: V1Pod, push: SidecarSpansPush): SidecarPushResult {
    const workload = podWorkload(pod);
    if (this.#seen("spans", workload.id, push.batch)) return { accepted: 0, duplicate: true };
    // Without a span collector (no manager to ship to) the spans are taken and not kept, like universal mode's.
    const taken = this.options.spans?.addPushed(workload, push.spans, push.dropped) ?? 0;
    this.status.spanBatches++;
    this.status.spans += taken;
    return { accepted: taken, duplicate: false };
  }

  /**
   * True when this pod's process already had this batch applied (a retry).
   * Batches of one process come one after another, each after the previous
   * was answered, so anything at or below the last seq is a resend.
   */
  #seen(kind: "telemetry" | "spans", pod: string, batch: SidecarBatchId): boolean {
    const key = `${kind} ${pod}`;
    const last = this.#applied.get(key);
    if (last && last.instance === batch.instance && batch.seq <= last.seq) {
      this.status.duplicates++;
      return true;
    }
    this.#applied.set(key, batch);
    if (++this.#pushesSincePrune >= 500) this.#prune();
    return false;
  }

  #prune(): void {
    this.#pushesSincePrune = 0;
    for (const key of this.#applied.keys()) {
      const [namespace, name] = key.slice(key.indexOf(" ") + 1).split("/") as [string, string];
      if (!this.options.pod(namespace, name)) this.#applied.delete(key);
    }
  }
}
