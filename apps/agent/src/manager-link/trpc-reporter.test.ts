import { DiscoverySnapshotSchema } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import type { CatalogSnapshot } from "../discovery/catalog.schema.ts";
import { toDiscoverySnapshot } from "./trpc-reporter.ts";

describe("toDiscoverySnapshot", () => {
  it("sends every field discovery knows (a field left out of the wire form never reaches other clusters)", () => {
    // Every optional field set: issue 12's `sidecar` was dropped here once, so remote callers took a proxy-less
    // instance for a meshed one and failed every call to it.
    const snapshot: CatalogSnapshot = {
      services: [{ namespace: "shop", name: "inventory", ports: [{ name: "http", port: 8080, protocol: "http" }], labels: { team: "a" } }],
      workloads: [{ namespace: "shop", name: "inventory-1", serviceAccount: "inventory", version: "v1", zone: "z1", labels: { version: "v1" } }],
      endpoints: [{ namespace: "shop", service: "inventory", address: "10.0.0.1", port: 8080, protocol: "http", ready: true, workload: "inventory-1", version: "v1", zone: "z1", sidecar: false }],
    };
    const wire = DiscoverySnapshotSchema.parse(toDiscoverySnapshot(1, snapshot));
    expect({ services: wire.services, workloads: wire.workloads, endpoints: wire.endpoints }).toEqual(snapshot);
  });
});
