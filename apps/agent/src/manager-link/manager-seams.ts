// The seams between the agent and the manager's sync API. The real
// implementations speak tRPC (`trpc-reporter.ts`, `manager-sync.ts`); tests
// of the agent's own logic use the in-memory fakes in `in-memory-manager.ts`.
import type { ClusterConfig, ConfigAck } from "@weft/mesh-model";
import type { CatalogSnapshot } from "../discovery/catalog.schema.ts";
import type { CatalogDelta } from "../discovery/catalog.ts";

/**
 * One discovery report. `seq` grows by one per report; a delta applies on top
 * of the report numbered `baseSeq`. A receiver that did not see `baseSeq`
 * (restart, lost report) rejects the delta, and the agent answers with a full
 * snapshot.
 */
export type DiscoveryReport =
  | { kind: "full"; seq: number; snapshot: CatalogSnapshot }
  | { kind: "delta"; seq: number; baseSeq: number; delta: CatalogDelta };

/** Thrown by a reporter when the receiver needs a full snapshot before more deltas. */
export class ResyncRequiredError extends Error {
  override readonly name = "ResyncRequiredError";
}

/** "Report discovery deltas": how the agent tells the manager what runs in its cluster. */
export interface DiscoveryReporter {
  /** Resolves once the manager has accepted the report; rejects otherwise (the agent then resends a full snapshot). */
  report(report: DiscoveryReport): Promise<void>;
}

/** One snapshot of the config stream: the cluster's whole config, with the event id to resume from. */
export interface MeshConfigVersion {
  eventId: string;
  config: ClusterConfig;
}

/** "Receive config": the subscription the agent holds to the manager. */
export interface ConfigSource {
  /** Calls `onConfig` with every new snapshot; resumes after `lastEventId` when given. Returns the unsubscribe function. */
  subscribe(onConfig: (config: MeshConfigVersion) => void, lastEventId?: string): () => void;
  acknowledge(ack: ConfigAck): Promise<void>;
}
