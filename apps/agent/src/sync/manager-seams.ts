// The two seams between the agent and the manager's sync API. The transport
// (tRPC over HTTPS) arrives with the manager side; until then the agent runs
// against these interfaces, and tests use the in-memory fakes in
// `in-memory-manager.ts`.
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
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

/** A versioned mesh config for this cluster, as the manager will deliver it. */
export interface MeshConfigVersion {
  version: string;
  /** Per-proxy configs keyed by proxy id (`<namespace>/<workload>`); the agent compiles these once the mesh-model compiler exists. */
  proxies: Record<string, ProxyConfigInput>;
}

/** How the agent reports what it did with a config version. */
export type ConfigAck = { version: string; status: "applied" } | { version: string; status: "rejected"; reason: string };

/** "Receive config": the subscription the agent holds to the manager. */
export interface ConfigSource {
  /** Calls `onConfig` with every new version (the latest first); returns the unsubscribe function. */
  subscribe(onConfig: (config: MeshConfigVersion) => void): () => void;
  acknowledge(ack: ConfigAck): Promise<void>;
}
