import { describe, expect, it } from "vitest";
import { callerWindow, judgeEdge, parseEdgeCounters } from "./demo-edges.ts";
import { demoTopology } from "./demo-topology.ts";

const clusters = demoTopology(20_000, 10);
const series = (dest: string, cluster: string, version: string, code: number, count: number) =>
  `weft_requests_total{source_service="frontend",source_version="v1",source_cluster="east",destination_service="${dest}",destination_version="${version}",destination_cluster="${cluster}",response_code="${code}",response_flags="-",grpc_status="-",source_identity="x",mtls="true"} ${count}`;

describe("demo edges", () => {
  it("counts a caller's outbound requests over a window, summed over destination clusters and versions", () => {
    const before = parseEdgeCounters([series("catalog", "east", "v1", 200, 100), series("catalog", "east", "v2", 500, 1)].join("\n"));
    const after = parseEdgeCounters(
      [
        series("catalog", "east", "v1", 200, 400),
        series("catalog", "east", "v2", 200, 291),
        series("catalog", "east", "v2", 500, 10),
        // The inbound side (someone calling frontend) is the caller's business, not this edge's.
        `weft_requests_total{source_service="loadgen",source_version="unknown",source_cluster="east",destination_service="frontend",destination_version="v1",destination_cluster="east",response_code="200",response_flags="-",grpc_status="-",source_identity="x",mtls="true"} 50`,
      ].join("\n"),
    );
    const [edge] = callerWindow({ cluster: "east", service: "frontend" }, before, after);
    expect(edge).toMatchObject({ edge: "east:frontend -> catalog", requests: 600, failures: 9 });
    // 300 of 600 went to v2, which fails 3 %: 1.5 % expected, 1.5 % seen.
    expect(judgeEdge(clusters, edge!)).toMatchObject({ expectedFailureRate: 0.015, ok: true });
  });

  it.each([
    // A dead edge (every call answered 503) fails; so does an injected failure that does not show.
    [{ requests: 600, failures: 600, destinations: [{ cluster: "west", version: "v1", requests: 600, failures: 600 }] }, "east:catalog -> inventory", false],
    [{ requests: 600, failures: 0, destinations: [{ cluster: "east", version: "v2", requests: 600, failures: 0 }] }, "east:frontend -> catalog", false],
    [{ requests: 0, failures: 0, destinations: [] }, "east:frontend -> reviews", false],
    [{ requests: 1000, failures: 5, destinations: [{ cluster: "east", version: "v1", requests: 1000, failures: 5 }] }, "east:catalog -> inventory", true],
  ])("judges %o on %s: ok=%s", (w, edge, ok) => {
    expect(judgeEdge(clusters, { edge, ...w }).ok).toBe(ok);
  });
});
