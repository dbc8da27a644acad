import type { Resource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { knownDestinations, namespaceAmong } from "./destination-namespace.ts";

const external = (namespace: string, name: string) => ({ apiVersion: "weft.io/v1alpha1", kind: "ExternalService", metadata: { name, namespace }, spec: {} }) as unknown as Resource;

describe("a telemetry edge's destination namespace", () => {
  const local = [
    { name: "catalog", namespace: "shop" },
    { name: "catalog", namespace: "legacy" },
    { name: "reviews", namespace: "shop" },
  ];

  it("prefers the caller's namespace, else the only one, else says it does not know", () => {
    expect(namespaceAmong("catalog", "legacy", local)).toBe("legacy");
    expect(namespaceAmong("catalog", "ops", local)).toBe("");
    expect(namespaceAmong("reviews", "ops", local)).toBe("shop");
    expect(namespaceAmong("nowhere", "shop", local)).toBe("");
  });

  it("knows ExternalServices and other clusters' services from the cluster config, not only what was discovered here", () => {
    const config = {
      catalog: [{ namespace: "shop", name: "ratings", ports: [], clusters: [] }],
      resources: [external("egress", "payments-api"), external("shop", "geo")],
    };
    const known = knownDestinations(local, config);
    expect(namespaceAmong("payments-api", "shop", known)).toBe("egress");
    expect(namespaceAmong("geo", "shop", known)).toBe("shop");
    expect(namespaceAmong("ratings", "ops", known)).toBe("shop");
    // Before the first config: what was discovered here.
    expect(namespaceAmong("payments-api", "shop", knownDestinations(local, undefined))).toBe("");
  });
});
