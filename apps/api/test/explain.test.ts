// What the dashboard needs to explain itself, against a real manager: rates
// over the time the data covers (a window longer than the data must not
// dilute them), and why requests failed, from recorded spans.
import type { WireSpan } from "@weft/mesh-model";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";

const MINUTE = 60_000;
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
const end = (service: string, namespace = "shop") => ({ cluster: "east", namespace, service, version: "v1" });

describe("explaining the mesh", () => {
  let m: TestManager;
  let admin: ApiClient;
  let east: ApiClient;

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    east = (await joinedAgent(admin, m.url, "east")).client;
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("divides by the time the data covers, the same for edges, stats and a filtered view", async () => {
    const firstMinute = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
    const sketch = new LatencySketch();
    sketch.add(10);
    for (let i = 0; i < 3; i++) {
      await east.agent.reportTelemetry.mutate({
        edges: [
          { minute: firstMinute + i * MINUTE, source: end("frontend"), destination: end("checkout"), codeClass: "2xx", requests: 600, errors: 0, latency: sketch.toJSON() },
          { minute: firstMinute + i * MINUTE, source: end("checkout"), destination: end("ledger", "pay"), codeClass: "2xx", requests: 60, errors: 0, latency: sketch.toJSON() },
        ],
      });
    }
    const hour = { from: new Date(Date.now() - 60 * MINUTE), to: new Date() };
    const edges = await admin.telemetry.edges.query(hour);
    // The data covers its three minutes and the part of this minute gone by, not the hour.
    expect(edges.coveredFrom.getTime()).toBe(firstMinute);
    expect(edges.coveredSeconds).toBeGreaterThanOrEqual(180);
    expect(edges.coveredSeconds).toBeLessThanOrEqual((Date.now() - firstMinute) / 1000);
    const checkout = edges.edges.find((e) => e.destination.service === "checkout")!;
    expect(checkout.rate * edges.coveredSeconds).toBeCloseTo(1800, 6);
    expect(checkout.rate).toBeGreaterThan(7.4);

    const stats = await admin.telemetry.stats.query({ ...hour, groupBy: "service" });
    expect(stats.groups.find((g) => g.destination.service === "checkout")!.rate * stats.coveredSeconds).toBeCloseTo(1800, 6);
    // A namespace filter divides by the mesh's cover (from the same first minute, to now), so the same edge reads the same rate.
    const pay = await admin.telemetry.edges.query({ ...hour, namespace: "pay" });
    expect(pay.coveredFrom).toEqual(edges.coveredFrom);
    expect(Math.abs(pay.coveredSeconds - edges.coveredSeconds)).toBeLessThan(30);
    expect(pay.edges[0]!.rate * pay.coveredSeconds).toBeCloseTo(180, 6);
  });

  it("says why requests over an edge failed: status, flags, the hop that set them, and traces", async () => {
    const t0 = Date.now() - 30_000;
    const spans: WireSpan[] = [];
    let id = 0;
    // 10 requests frontend → checkout: 6 fine, 3 answered 503 because east's gateway could not connect (UF), 1 plain 500.
    for (let i = 0; i < 10; i++) {
      const traceId = `c${hex(i, 31)}`;
      const status = i < 6 ? 200 : i < 9 ? 503 : 500;
      const client = hex(++id, 16);
      spans.push({ traceId, spanId: client, namespace: "shop", service: "frontend", version: "v1", kind: "CLIENT", name: "GET checkout", startTime: t0 + i * 10, durationMs: 5, statusCode: status, peerService: "shop/checkout" });
      if (status === 503) spans.push({ traceId, spanId: hex(++id, 16), parentSpanId: client, namespace: "weft-system", service: "east-west-gateway", kind: "CLIENT", name: "connect", startTime: t0 + i * 10 + 1, durationMs: 3, statusCode: 503, responseFlags: "UF", peerService: "shop/checkout" });
    }
    // Another caller's failures are not this edge's.
    spans.push({ traceId: `d${hex(1, 31)}`, spanId: hex(++id, 16), namespace: "shop", service: "cart", kind: "CLIENT", name: "GET checkout", startTime: t0, durationMs: 5, statusCode: 503, responseFlags: "UH", peerService: "shop/checkout" });
    await east.agent.reportSpans.mutate({ spans });

    const window = { from: new Date(t0 - MINUTE), to: new Date(Date.now() + MINUTE) };
    const edge = await admin.telemetry.failureCauses.query({ destination: { namespace: "shop", service: "checkout" }, source: { namespace: "shop", service: "frontend" }, ...window });
    expect(edge.requests).toBe(10);
    expect(edge.failed).toBe(4);
    expect(edge.causes.map((c) => ({ status: c.statusCode, flags: c.responseFlags, by: `${c.recordedBy.cluster}/${c.recordedBy.namespace}/${c.recordedBy.service}`, count: c.count, percent: c.percent, traces: c.traceIds.length }))).toEqual([
      { status: 503, flags: "UF", by: "east/weft-system/east-west-gateway", count: 3, percent: 30, traces: 3 },
      { status: 500, flags: "", by: "east/shop/frontend", count: 1, percent: 10, traces: 1 },
    ]);
    // Each cause links traces that really show it.
    const shown = await admin.telemetry.trace.query({ traceId: edge.causes[0]!.traceIds[0]! });
    expect(shown.spans.some((s) => s.responseFlags === "UF" && s.statusCode === 503)).toBe(true);

    // The service's own view counts every caller.
    const node = await admin.telemetry.failureCauses.query({ destination: { namespace: "shop", service: "checkout" }, ...window });
    expect(node.requests).toBe(11);
    expect(node.causes.find((c) => c.responseFlags === "UH")).toMatchObject({ count: 1, recordedBy: { service: "cart" } });
  });

  it("refuses a window that ends before it starts, naming the field", async () => {
    const now = new Date();
    await expect(admin.telemetry.failureCauses.query({ destination: { namespace: "shop", service: "checkout" }, from: now, to: new Date(now.getTime() - MINUTE) })).rejects.toMatchObject({ data: { code: "BAD_REQUEST" } });
  });
});
