// Telemetry: agents' edge deltas merged into per-minute rollups, read back
// by the dashboard's queries. Counts must be exact; percentiles within the
// sketch's relative accuracy of the exact percentiles of what was sent.
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";

const MINUTE = 60_000;

/** A deterministic spread of latencies (ms): mostly fast, a slow tail. */
function latencies(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    return u < 0.9 ? 2 + u * 30 : 50 + (u - 0.9) * 4000;
  });
}

const exactQuantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))] as number;

describe("telemetry rollups", () => {
  let m: TestManager;
  let admin: ApiClient;
  let east: ApiClient;
  const base = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
  const sent: { minute: number; ok: number[]; failed: number[] }[] = [];

  function delta(minute: number, values: number[], codeClass: "2xx" | "5xx") {
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    return {
      minute,
      source: { cluster: "east", namespace: "shop", service: "frontend", version: "v1" },
      destination: { cluster: "east", namespace: "shop", service: "checkout", version: "v2" },
      codeClass,
      requests: values.length,
      errors: codeClass === "5xx" ? values.length : 0,
      latency: sketch.toJSON(),
    };
  }

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    east = (await joinedAgent(admin, m.url, "east")).client;
    // Three minutes, each shipped as 4 deltas (as an agent reporting every ~15 s would), all at once.
    const reports: Promise<unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      const minute = base + i * MINUTE;
      const entry = { minute, ok: [] as number[], failed: [] as number[] };
      for (let part = 0; part < 4; part++) {
        const ok = latencies(150 + 10 * part, 17 + 31 * i + part);
        const failed = latencies(part + i, 99 + part).map((v) => v * 3);
        entry.ok.push(...ok);
        entry.failed.push(...failed);
        const report = east.agent.reportTelemetry.mutate({ edges: [delta(minute, ok, "2xx"), ...(failed.length ? [delta(minute, failed, "5xx")] : [])] });
        reports.push(report);
      }
      sent.push(entry);
    }
    await Promise.all(reports);
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("keeps exact counts and percentiles within the sketch's error over a window", async () => {
    const from = new Date(base);
    const to = new Date(base + 3 * MINUTE);
    const { edges } = await admin.telemetry.edges.query({ from, to, cluster: "east" });
    expect(edges).toHaveLength(1);
    const edge = edges[0] as (typeof edges)[number];
    const all = sent.flatMap((s) => [...s.ok, ...s.failed]);
    const failed = sent.reduce((n, s) => n + s.failed.length, 0);
    expect(edge.source).toEqual({ cluster: "east", namespace: "shop", service: "frontend", version: "v1" });
    expect(edge.requests).toBe(all.length);
    expect(edge.errors).toBe(failed);
    expect(edge.byClass).toEqual({ "2xx": all.length - failed, "5xx": failed });
    expect(edge.rate).toBeCloseTo(all.length / 180, 10);
    expect(edge.errorPercent).toBeCloseTo((failed / all.length) * 100, 10);
    for (const [q, got] of [[0.5, edge.p50], [0.9, edge.p90], [0.99, edge.p99]] as const) {
      const want = exactQuantile(all, q);
      expect(Math.abs((got as number) - want) / want, `p${q * 100}: got ${got}, sent ${want}`).toBeLessThanOrEqual(0.01 + 1e-9);
    }
  });

  it("gives a service's per-minute series", async () => {
    const series = await admin.telemetry.serviceSeries.query({ service: { namespace: "shop", name: "checkout" }, from: new Date(base - MINUTE), to: new Date(base + 3 * MINUTE), step: 60 });
    expect(series.points.map((p) => p.requests)).toEqual([0, ...sent.map((s) => s.ok.length + s.failed.length)]);
    sent.forEach((s, i) => {
      const point = series.points[i + 1] as (typeof series.points)[number];
      expect(point.at.getTime()).toBe(s.minute);
      const values = [...s.ok, ...s.failed];
      const want = exactQuantile(values, 0.99);
      expect(Math.abs((point.p99 as number) - want) / want).toBeLessThanOrEqual(0.01 + 1e-9);
    });
    expect(await m.db.prisma.edgeMinute.count()).toBe(3 + sent.filter((s) => s.failed.length > 0).length);
    // One version's series (a rollout's canary or stable): all of checkout's traffic went to v2, none to v1.
    const window = { service: { namespace: "shop", name: "checkout" }, from: new Date(base - MINUTE), to: new Date(base + 3 * MINUTE), step: 60 };
    expect((await admin.telemetry.serviceSeries.query({ ...window, version: "v2" })).points.map((p) => p.requests)).toEqual(series.points.map((p) => p.requests));
    expect((await admin.telemetry.serviceSeries.query({ ...window, version: "v1" })).points.map((p) => p.requests)).toEqual([0, 0, 0, 0]);
  });

  it("counts a retried report once: a seq not above the last applied one changes nothing", async () => {
    const minute = base - 2 * MINUTE;
    const requestsAt = async () => (await admin.telemetry.edges.query({ from: new Date(minute), to: new Date(minute + MINUTE), cluster: "east" })).edges[0]?.requests ?? 0;
    const report = (seq: number, n: number) => east.agent.reportTelemetry.mutate({ seq, edges: [delta(minute, latencies(n, seq), "2xx")] });
    expect(await report(1_000_005, 10)).toEqual({ rows: 1, duplicate: false });
    // The agent did not see that answer and sends the same report again.
    expect(await report(1_000_005, 10)).toEqual({ rows: 0, duplicate: true });
    expect(await report(1_000_004, 7)).toEqual({ rows: 0, duplicate: true });
    expect(await requestsAt()).toBe(10);
    expect(await report(1_000_006, 4)).toEqual({ rows: 1, duplicate: false });
    expect(await requestsAt()).toBe(14);
  });

  it("tells mTLS edges from plaintext ones, for the topology", async () => {
    const minute = base - 4 * MINUTE;
    const to = (service: string, requests: number, mtlsRequests: number) => ({ ...delta(minute, latencies(requests, requests), "2xx"), destination: { cluster: "east", namespace: "shop", service, version: "" }, mtlsRequests });
    await east.agent.reportTelemetry.mutate({ edges: [to("ledger", 20, 20), to("legacy", 10, 4), to("batch", 5, 0)] });
    const { edges } = await admin.telemetry.edges.query({ from: new Date(minute), to: new Date(minute + MINUTE), cluster: "east" });
    const byService = Object.fromEntries(edges.map((e) => [e.destination.service, [e.mtls, e.mtlsPercent]]));
    expect(byService).toEqual({ ledger: [true, 100], legacy: [false, 40], batch: [false, 0] });
    const err = (await east.agent.reportTelemetry.mutate({ edges: [to("ledger", 2, 3)] }).catch((e: unknown) => e)) as { data?: { fieldErrors?: { path: string }[] } };
    expect(err.data?.fieldErrors?.map((f) => f.path)).toEqual(["edges[0].mtlsRequests"]);
  });

  it("refuses malformed deltas with the field's path, writing nothing", async () => {
    const before = await m.db.prisma.edgeMinute.count();
    const bad = { ...delta(base, [1, 2], "2xx"), errors: 3 };
    const err = await east.agent.reportTelemetry.mutate({ edges: [delta(base, [5], "2xx"), bad] }).catch((e: { data?: { fieldErrors?: { path: string }[] } }) => e);
    expect((err as { data?: { fieldErrors?: { path: string }[] } }).data?.fieldErrors?.map((f) => f.path)).toEqual(["edges[1].errors"]);
    expect(await m.db.prisma.edgeMinute.count()).toBe(before);
  });
});
