// The rollups adapter of the metric-source interface, over real telemetry
// reports and a real database: exact counts per destination cluster and
// version, latency shares and quantiles within the sketch's error, series,
// and the hourly rollups taking over from the minute rollups (downsampling
// on an injected clock, the minutes pruned after 7 days, a 10-day window
// still answered).
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Deterministic latencies (ms) spread from 1 to about 800 ms. */
function latencies(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 1 + (x / 2 ** 31) ** 2 * 800;
  });
}

interface Sent {
  minute: number;
  cluster: "east" | "west";
  version: "v1" | "v2";
  codeClass: "2xx" | "5xx" | "4xx";
  values: number[];
}

describe("rollup metric source", () => {
  let m: TestManager;
  let now = Math.floor(Date.now() / HOUR) * HOUR + 30 * MINUTE;
  const agents = new Map<string, ApiClient>();
  const sent: Sent[] = [];
  // Three hours of traffic ending 5 minutes ago: two clusters, two versions, some 5xx and 4xx.
  const start = now - 3 * HOUR - 5 * MINUTE;

  const delta = (s: Sent) => {
    const sketch = new LatencySketch();
    for (const v of s.values) sketch.add(v);
    return {
      minute: s.minute,
      source: { cluster: s.cluster, namespace: "shop", service: "frontend", version: "v1" },
      destination: { cluster: s.cluster, namespace: "shop", service: "checkout", version: s.version },
      codeClass: s.codeClass,
      requests: s.values.length,
      errors: s.codeClass === "5xx" ? s.values.length : 0,
      latency: sketch.toJSON(),
    };
  };
  const exact = (pick: (s: Sent) => boolean, from: number, to: number) => sent.filter((s) => s.minute >= from && s.minute < to && pick(s));
  const count = (list: Sent[]) => list.reduce((n, s) => n + s.values.length, 0);

  beforeAll(async () => {
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, clock: () => new Date(now) } });
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    for (const cluster of ["east", "west"]) agents.set(cluster, (await joinedAgent(admin, m.url, cluster)).client);
    let seed = 1;
    // Every fifth minute is enough to check sums and the hour boundaries, and keeps the merge fast.
    for (let minute = start; minute < now - 5 * MINUTE; minute += 5 * MINUTE) {
      const batch: Sent[] = [];
      for (const cluster of ["east", "west"] as const)
        for (const version of ["v1", "v2"] as const) {
          batch.push({ minute, cluster, version, codeClass: "2xx", values: latencies(cluster === "east" ? 20 : 10, seed++) });
          if (version === "v2" && minute % (15 * MINUTE) === 0) batch.push({ minute, cluster, version, codeClass: "5xx", values: latencies(2, seed++) });
          if (cluster === "west" && minute % (10 * MINUTE) === 0) batch.push({ minute, cluster, version, codeClass: "4xx", values: latencies(1, seed++) });
        }
      sent.push(...batch);
    }
    // One report per cluster, as an agent catching up after a network cut would send.
    for (const cluster of ["east", "west"]) await agents.get(cluster)!.agent.reportTelemetry.mutate({ edges: sent.filter((s) => s.cluster === cluster).map(delta) });
  });
  afterAll(async () => {
    await m?.stop();
  });

  const selector = { namespace: "shop", service: "checkout" };

  it("counts requests and errors exactly per cluster and version, over a window", async () => {
    const from = new Date(now - 2 * HOUR);
    const to = new Date(now);
    const result = await m.services.metricSource.window({ selector, from, to, groupBy: ["cluster", "version"] });
    expect(result.query).toMatch(/^rollups: requests to shop\/checkout \(callers' side\), EdgeMinute \[/);
    const got = Object.fromEntries(result.samples.map((s) => [`${s.group.cluster}/${s.group.version}`, [s.requests, s.errors]]));
    const want: Record<string, [number, number]> = {};
    for (const cluster of ["east", "west"])
      for (const version of ["v1", "v2"]) {
        const list = exact((s) => s.cluster === cluster && s.version === version, from.getTime(), to.getTime());
        want[`${cluster}/${version}`] = [count(list), count(list.filter((s) => s.codeClass === "5xx"))];
      }
    expect(got).toEqual(want);
    // Errors are the classes asked for: 4xx too when it counts.
    const with4xx = await m.services.metricSource.window({ selector: { ...selector, clusters: ["west"] }, from, to, errorClasses: ["4xx", "5xx"] });
    const west = exact((s) => s.cluster === "west", from.getTime(), to.getTime());
    expect(with4xx.samples.map((s) => [s.requests, s.errors])).toEqual([[count(west), count(west.filter((s) => s.codeClass !== "2xx"))]]);
  });

  it("answers latency thresholds and quantiles from the sketches, within their error", async () => {
    const from = new Date(now - HOUR);
    const result = await m.services.metricSource.window({ selector: { ...selector, versions: ["v2"] }, from, to: new Date(now), latencyThresholdsMs: [100, 333], quantiles: [0.5, 0.99] });
    const values = exact((s) => s.version === "v2", from.getTime(), now).flatMap((s) => s.values);
    const sample = result.samples[0]!;
    expect(sample.requests).toBe(values.length);
    for (const t of [100, 333]) {
      expect(sample.underThreshold[t]).toBeGreaterThanOrEqual(values.filter((v) => v <= t * 0.99).length);
      expect(sample.underThreshold[t]).toBeLessThanOrEqual(values.filter((v) => v <= t * 1.01).length);
    }
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.99]) {
      const want = sorted[Math.floor(q * (sorted.length - 1))]!;
      expect(Math.abs(sample.quantiles[q]! - want) / want).toBeLessThanOrEqual(0.01 + 1e-9);
    }
    const last = Math.max(...sent.map((s) => s.minute));
    expect(sample.covered).toEqual({ from: new Date(Math.min(...sent.filter((s) => s.minute >= from.getTime()).map((s) => s.minute))), to: new Date(last + MINUTE) });
  });

  it("gives series per step, with empty steps present", async () => {
    const from = new Date(start - 30 * MINUTE);
    const to = new Date(start + 90 * MINUTE);
    const series = await m.services.metricSource.series({ selector, from, to, stepMs: 30 * MINUTE });
    expect(series.points.map((p) => p.at.getTime() - from.getTime())).toEqual([0, 30, 60, 90].map((x) => x * MINUTE));
    expect(series.points.map((p) => p.samples[0]?.requests ?? 0)).toEqual([0, 30, 60, 90].map((x) => count(exact(() => true, from.getTime() + x * MINUTE, from.getTime() + (x + 30) * MINUTE))));
  });

  it("keeps long windows after the minutes are gone: hourly rollups, same totals", async () => {
    const window = { selector, from: new Date(start), to: new Date(now), groupBy: ["version" as const], latencyThresholdsMs: [250] };
    const before = await m.services.metricSource.window(window);
    // 20 minutes after the next hour ends, the downsampler completes every hour so far (4, from the first minute's hour).
    now = Math.floor(now / HOUR) * HOUR + HOUR + 20 * MINUTE;
    expect(await m.services.controllers.downsampler.tick()).toMatchObject({ leader: true, result: { hours: 4 } });
    const mixed = await m.services.metricSource.window(window);
    expect(mixed.query).toContain("ServiceHour [");
    const totals = (r: typeof before) => Object.fromEntries(r.samples.map((s) => [s.group.version, [s.requests, s.errors]]));
    expect(totals(mixed)).toEqual(totals(before));
    // Eight days later the minute rollups are pruned (7 days): the hours still answer.
    now += 8 * DAY;
    await agents.get("east")!.agent.reportTelemetry.mutate({ edges: [delta({ minute: Math.floor(now / MINUTE) * MINUTE - MINUTE, cluster: "east", version: "v1", codeClass: "2xx", values: [5] })] });
    expect(await m.db.prisma.edgeMinute.count({ where: { minute: { lt: new Date(now - 7 * DAY) } } })).toBe(0);
    const later = await m.services.metricSource.window({ ...window, from: new Date(Math.floor(start / HOUR) * HOUR), to: new Date(now - 8 * DAY + HOUR) });
    expect(later.query).toMatch(/ServiceHour \[/);
    expect(totals(later)).toEqual(totals(before));
    // Latency shares merge across the hour's sketches too (same buckets, same counts).
    expect(later.samples.map((s) => s.underThreshold[250])).toEqual(before.samples.map((s) => s.underThreshold[250]));
  });
});
