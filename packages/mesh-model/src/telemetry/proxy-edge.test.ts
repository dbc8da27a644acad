import { describe, expect, it } from "vitest";
import { LatencySketch } from "../proxy-config/latency-sketch.ts";
import { edgeDeltaOf, type ProxyEdgeReport } from "./proxy-edge.ts";

const workload = { cluster: "east", namespace: "shop", service: "catalog", version: "v1" };
const sketch = () => {
  const s = new LatencySketch();
  s.add(0.004, 7);
  return s.toJSON();
};
const report = (labels: Record<string, string>): ProxyEdgeReport => ({
  labels: { source_service: "catalog", source_version: "v1", source_cluster: "east", destination_service: "catalog", destination_version: "v1", destination_cluster: "east", response_code: "200", response_flags: "-", grpc_status: "-", source_identity: "spiffe://weft/ns/shop/sa/catalog", mtls: "true", ...labels },
  count: 7,
  sketch: sketch(),
});
const delta = (r: ProxyEdgeReport) => edgeDeltaOf(r, workload, 0, (_service, ns) => ns);

describe("edgeDeltaOf", () => {
  it("counts a self-call once: the caller's outbound record, not the inbound record that carries the same source labels", () => {
    expect(delta(report({ reporter: "source" }))).toMatchObject({ requests: 7, mtlsRequests: 7, source: { service: "catalog" }, destination: { service: "catalog", cluster: "east" } });
    expect(delta(report({ reporter: "destination" }))).toBeNull();
  });

  it("leaves out other callers' requests recorded on the inbound side", () => {
    expect(delta(report({ source_service: "frontend", reporter: "destination" }))).toBeNull();
    expect(delta(report({ source_service: "unknown", mtls: "false", reporter: "destination" }))).toBeNull();
  });

  it("reads a proxy from before the reporter label by its source labels", () => {
    expect(delta(report({}))).toMatchObject({ requests: 7 });
    expect(delta(report({ source_service: "unknown" }))).toBeNull();
  });
});
