import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "../webhook/sidecar-injection.ts";
import { kubeToCatalog, portProtocol } from "./kube-catalog.ts";

describe("portProtocol", () => {
  it.each([
    [{ appProtocol: "http" }, "http"],
    [{ appProtocol: "kubernetes.io/h2c" }, "http2"],
    [{ appProtocol: "grpc", name: "http" }, "grpc"], // appProtocol wins over the name
    [{ appProtocol: "mysql" }, "tcp"],
    [{ name: "http-web" }, "http"],
    [{ name: "grpc" }, "grpc"],
    [{ name: "h2c-api" }, "http2"],
    [{ name: "metrics" }, "tcp"],
    [{}, "tcp"],
  ] as const)("%o is %s", (port, protocol) => {
    expect(portProtocol(port)).toBe(protocol);
  });
});

describe("kubeToCatalog", () => {
  const objects = {
    namespaces: [{ metadata: { name: "shop", labels: { "weft.io/mesh": "enabled" } } }],
    services: [
      { metadata: { name: "web", namespace: "shop" }, spec: { ports: [{ name: "http", port: 80 }] } },
      { metadata: { name: "ext", namespace: "shop" }, spec: { type: "ExternalName", externalName: "example.com" } },
    ],
    endpointSlices: [
      {
        metadata: { name: "web-1", namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        ports: [{ name: "http", port: 8080 }, { name: "dns", port: 53, protocol: "UDP" }],
        endpoints: [
          { addresses: ["10.0.0.1"], conditions: { ready: false, terminating: true }, targetRef: { kind: "Pod", name: "web-a" }, zone: "z1" },
          { addresses: ["10.0.0.2"], conditions: {}, targetRef: { kind: "Pod", name: "web-b" } },
        ],
      },
    ],
    pods: [
      { metadata: { name: "web-a", namespace: "shop", labels: { version: "v1" }, annotations: { [ANNOTATIONS.injected]: "true" } }, spec: { serviceAccountName: "web", containers: [] } },
      { metadata: { name: "web-b", namespace: "shop", labels: { "topology.kubernetes.io/zone": "z2" } }, spec: { containers: [] } },
      { metadata: { name: "job-1", namespace: "shop" }, spec: { containers: [] }, status: { phase: "Succeeded" } },
    ],
  };

  it("maps readiness, version, service account, zone and whether the sidecar runs; leaves out ExternalName services, UDP ports and finished pods", () => {
    const catalog = kubeToCatalog(objects as unknown as Parameters<typeof kubeToCatalog>[0]);
    expect(catalog.services.map((s) => s.name)).toEqual(["web"]);
    expect(catalog.endpoints).toEqual([
      { service: "web", namespace: "shop", address: "10.0.0.1", port: 8080, protocol: "http", ready: false, workload: "web-a", version: "v1", zone: "z1", sidecar: true },
      { service: "web", namespace: "shop", address: "10.0.0.2", port: 8080, protocol: "http", ready: true, workload: "web-b", zone: "z2", sidecar: false },
    ]);
    expect(catalog.workloads).toEqual([
      { name: "web-a", namespace: "shop", serviceAccount: "web", version: "v1", zone: "z1", labels: { version: "v1" } },
      { name: "web-b", namespace: "shop", serviceAccount: "default", zone: "z2", labels: { "topology.kubernetes.io/zone": "z2" } },
    ]);
  });
});
