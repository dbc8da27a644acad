// What every discovery provider offers the agent.
import type { CatalogSnapshot } from "./catalog.schema.ts";

export interface ProviderStatus {
  provider: "universal" | "kubernetes";
  /** True once the first complete view was delivered. */
  synced: boolean;
  lastUpdateAt?: string;
  /** The last problem (invalid file, watch error); cleared by the next good update. */
  lastError?: string;
}

/** A source of catalog snapshots: each call of `sink` is the complete current view. */
export interface DiscoveryProvider {
  start(sink: (snapshot: CatalogSnapshot) => void): Promise<void>;
  stop(): Promise<void>;
  status(): ProviderStatus;
}
