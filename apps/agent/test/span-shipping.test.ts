// Spans from a real weft-proxy (in process, tracing every request) reach the
// manager's reportSpans exactly once: across ticks, a failed report retried,
// the proxy's ring overflowing (counted as dropped) and a proxy restart
// (which counts its spans from 1 again); and through a real weft-manager
// into a trace the dashboard reads.
import { request } from "node:http";
import type { SpanReport, WireSpan } from "@weft/mesh-model";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { WeftProxy } from "@weft/proxy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLogger } from "../src/logger.ts";
import { createManagerClient } from "../src/manager-link/manager-client.ts";
import { httpProxyAdmin } from "../src/supervision/proxy-admin-client.ts";
import { SpanCollector } from "../src/telemetry/span-collector.ts";
import { TelemetryShipper, type TelemetrySource } from "../src/telemetry/telemetry-shipper.ts";
import { freePort } from "./free-port.ts";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { startApp, type App } from "./mesh-harness.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

function get(port: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/items?id=1", headers: { host: "catalog", ...headers }, agent: false }, (res) => {
      res.resume().on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

/** web's proxy: an outbound listener routing catalog to the upstream, and its admin; traced as `tracing` says. */
function proxyConfig(ports: { upstream: number; outbound: number; admin: number }, tracing: { sampleRate: number; maxSpans?: number }): ProxyConfigInput {
  return {
    version: "v1",
    node: { service: "web", namespace: "shop", version: "v1", locality: { zone: "z1", cluster: "east" } },
    listeners: [
      { kind: "outbound", name: "outbound", port: ports.outbound },
      { kind: "admin", name: "admin", port: ports.admin },
    ],
    virtualHosts: [{ name: "catalog.shop", domains: ["catalog"], routes: [{ name: "catalog", namespace: "shop", creationTimestamp: "2024-01-01T00:00:00Z", rules: [{ backendRefs: [{ backend: "catalog.shop" }] }] }] }],
    backends: [{ name: "catalog.shop", service: "catalog", namespace: "shop", endpoints: [{ address: "127.0.0.1", port: ports.upstream, version: "v2" }] }],
    telemetry: { tracing },
  };
}

/** The manager's side: what it received, by report, with its answer's duplicate counting. */
class RecordingManager {
  readonly reports: SpanReport[] = [];
  readonly stored = new Map<string, WireSpan>();
  failNext = false;

  send = async (report: SpanReport) => {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("manager unreachable");
    }
    this.reports.push(report);
    let stored = 0;
    for (const s of report.spans) {
      const key = `${s.traceId}/${s.spanId}`;
      if (!this.stored.has(key)) stored++;
      this.stored.set(key, s);
    }
    return { stored, duplicates: report.spans.length - stored };
  };

  /** Every span id received, repeats included. */
  received(): string[] {
    return this.reports.flatMap((r) => r.spans.map((s) => s.spanId));
  }
}

describe("span shipping from a real proxy", () => {
  let upstream: App;
  let proxy: WeftProxy;
  const ports = { upstream: 0, outbound: 0, admin: 0 };
  const manager = new RecordingManager();
  const logger = new MemoryLogger();
  const source: TelemetrySource = { id: "shop/web-1", adminPort: 0, service: "web", namespace: "shop", version: "v1" };
  let shipper: TelemetryShipper;
  let collector: SpanCollector;

  const config = (maxSpans: number) => proxyConfig(ports, { sampleRate: 1, maxSpans });

  beforeAll(async () => {
    upstream = await startApp(() => "catalog");
    ports.upstream = upstream.port;
    ports.outbound = await freePort();
    ports.admin = await freePort();
    source.adminPort = ports.admin;
    proxy = await WeftProxy.start(config(10), { listenerDrainMs: 0 });
    collector = new SpanCollector({ admin: httpProxyAdmin, logger, namespaceOf: () => "shop", send: manager.send });
    shipper = new TelemetryShipper({ cluster: "east", admin: httpProxyAdmin, logger, intervalMs: 60_000, sources: () => [source], namespaceOf: () => "shop", send: async () => {}, spans: collector });
  });
  afterAll(async () => {
    await shipper?.stop();
    await proxy?.close({ drainMs: 0 });
    upstream?.server.close();
  });

  it("ships each finished span once, labelled with the proxy's workload", async () => {
    expect(await get(ports.outbound, { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` })).toBe(200);
    for (let i = 0; i < 4; i++) expect(await get(ports.outbound)).toBe(200);
    await shipper.tick();
    await shipper.tick();
    const spans = [...manager.stored.values()];
    expect(manager.received()).toHaveLength(5);
    expect(spans).toHaveLength(5);
    expect(spans.every((s) => s.kind === "CLIENT" && s.namespace === "shop" && s.service === "web" && s.version === "v1" && s.peerService === "shop/catalog" && s.statusCode === 200)).toBe(true);
    // The caller's trace is continued: its span is the parent.
    const continued = spans.find((s) => s.traceId === TRACE);
    expect(continued).toMatchObject({ parentSpanId: CALLER_SPAN, name: "GET catalog", responseFlags: "" });
    expect(continued?.attributes).toMatchObject({ "http.request.method": "GET", "url.path": "/items", "http.response.status_code": 200, "weft.destination_version": "v2" });
    // Started here: a new trace, no parent.
    expect(spans.filter((s) => s.traceId !== TRACE).every((s) => s.parentSpanId === null)).toBe(true);
    expect(Math.abs((continued?.startTime ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(collector.status).toMatchObject({ shipped: 5, duplicates: 0, buffered: 0, dropped: 0 });
  });

  it("keeps spans a failed report could not deliver and ships them on the next tick", async () => {
    for (let i = 0; i < 3; i++) await get(ports.outbound);
    manager.failNext = true;
    await shipper.tick();
    expect(collector.status).toMatchObject({ buffered: 3, lastError: "manager unreachable" });
    await shipper.tick();
    expect(manager.received()).toHaveLength(8);
    expect(new Set(manager.received()).size).toBe(8);
    expect(collector.status).toMatchObject({ shipped: 8, buffered: 0, duplicates: 0 });
  });

  it("reports spans the proxy's ring overwrote before they were read", async () => {
    // The ring holds 10: of 14 new spans, the 4 oldest are gone by the next read.
    for (let i = 0; i < 14; i++) await get(ports.outbound);
    await shipper.tick();
    const last = manager.reports.at(-1);
    expect(last?.spans).toHaveLength(10);
    expect(last?.dropped).toBe(4);
    expect(new Set(manager.received()).size).toBe(manager.received().length);
    expect(collector.status).toMatchObject({ shipped: 18, dropped: 4 });
  });

  it("reads a restarted proxy from its first span again", async () => {
    await proxy.close({ drainMs: 0 });
    proxy = await WeftProxy.start(config(10), { listenerDrainMs: 0 });
    for (let i = 0; i < 2; i++) expect(await get(ports.outbound)).toBe(200);
    await shipper.tick();
    expect(manager.received()).toHaveLength(20);
    expect(new Set(manager.received()).size).toBe(20);
    // Nothing new, nothing sent.
    const reports = manager.reports.length;
    await shipper.tick();
    expect(manager.reports).toHaveLength(reports);
  });
});

describe("span shipping to a real manager", { timeout: 120_000 }, () => {
  let upstream: App;
  let proxy: WeftProxy;
  let manager: ManagerProcess;
  let admin: AdminClient;
  let shipper: TelemetryShipper;
  let collector: SpanCollector;
  const ports = { outbound: 0, admin: 0 };

  beforeAll(async () => {
    upstream = await startApp(() => "catalog");
    ports.outbound = await freePort();
    ports.admin = await freePort();
    // Nothing sampled: only requests arriving with a sampled trace context are traced.
    proxy = await WeftProxy.start(proxyConfig({ ...ports, upstream: upstream.port }, { sampleRate: 0 }), { listenerDrainMs: 0 });
    manager = await startManager();
    admin = await adminClient(manager.url, manager.home);
    const { joinToken } = await admin.clusters.create.mutate({ name: "east" });
    const client = createManagerClient(manager.url, (await createManagerClient(manager.url).agent.join.mutate({ joinToken })).credential);
    const source: TelemetrySource = { id: "shop/web-1", adminPort: ports.admin, service: "web", namespace: "shop", version: "v1" };
    const logger = new MemoryLogger();
    // Wired as agent.ts wires it.
    collector = new SpanCollector({ admin: httpProxyAdmin, logger, namespaceOf: () => "shop", send: (report) => client.agent.reportSpans.mutate(report) });
    shipper = new TelemetryShipper({ cluster: "east", admin: httpProxyAdmin, logger, intervalMs: 60_000, sources: () => [source], namespaceOf: () => "shop", send: async () => {}, spans: collector });
  }, 120_000);
  afterAll(async () => {
    await shipper?.stop();
    await proxy?.close({ drainMs: 0 });
    upstream?.server.close();
    await manager?.stop();
    if (manager) await removeHome(manager.home);
  }, 60_000);

  it("stores the proxy's spans under the agent's cluster, as a trace the dashboard can read", async () => {
    expect(await get(ports.outbound, { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` })).toBe(200);
    expect(await get(ports.outbound, { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` })).toBe(200);
    // Not sampled by its caller: not recorded.
    expect(await get(ports.outbound, { traceparent: `00-${"c".repeat(32)}-${CALLER_SPAN}-00` })).toBe(200);
    await shipper.tick();
    await shipper.tick();
    expect(collector.status).toMatchObject({ shipped: 2, duplicates: 0, dropped: 0, buffered: 0 });
    const trace = await admin.telemetry.trace.query({ traceId: TRACE });
    expect(trace.spans.map((s) => [s.cluster, `${s.namespace}/${s.service}`, s.kind, s.parentSpanId, s.peerService, s.statusCode])).toEqual([
      ["east", "shop/web", "CLIENT", CALLER_SPAN, "shop/catalog", 200],
      ["east", "shop/web", "CLIENT", CALLER_SPAN, "shop/catalog", 200],
    ]);
    const { traces } = await admin.telemetry.traces.query({ namespace: "shop", service: "catalog", from: new Date(Date.now() - 600_000), to: new Date(Date.now() + 60_000) });
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ traceId: TRACE, spanCount: 2, error: false, services: ["shop/catalog", "shop/web"] });
  });
});
