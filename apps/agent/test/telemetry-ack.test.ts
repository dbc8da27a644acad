// The acknowledged collect against a real weft-proxy (in process): an agent
// killed after the proxy answered GET /telemetry and before it recorded the
// batch loses nothing (the proxy serves the batch again), and one killed after
// recording it and before acknowledging counts it once (the batch id is known).
import { request } from "node:http";
import type { EdgeDelta } from "@weft/mesh-model";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { WeftProxy } from "@weft/proxy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLogger } from "../src/logger.ts";
import { httpProxyAdmin, type ProxyAdminClient } from "../src/supervision/proxy-admin-client.ts";
import { TelemetryShipper, type PendingTelemetry, type TelemetrySource } from "../src/telemetry/telemetry-shipper.ts";
import { freePort } from "./free-port.ts";
import { closeApp, startApp, type App } from "./mesh-harness.ts";

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/items", headers: { host: "catalog" }, agent: false }, (res) => {
      res.resume().on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

function proxyConfig(ports: { upstream: number; outbound: number; admin: number }): ProxyConfigInput {
  return {
    version: "v1",
    node: { service: "web", namespace: "shop", version: "v1", locality: { zone: "z1", cluster: "east" } },
    listeners: [
      { kind: "outbound", name: "outbound", port: ports.outbound },
      { kind: "admin", name: "admin", port: ports.admin },
    ],
    virtualHosts: [{ name: "catalog.shop", domains: ["catalog"], routes: [{ name: "catalog", namespace: "shop", creationTimestamp: "2024-01-01T00:00:00Z", rules: [{ backendRefs: [{ backend: "catalog.shop" }] }] }] }],
    backends: [{ name: "catalog.shop", service: "catalog", namespace: "shop", endpoints: [{ address: "127.0.0.1", port: ports.upstream, version: "v2" }] }],
  };
}

describe("telemetry collect acknowledged by the agent, against a real proxy", () => {
  let upstream: App;
  let proxy: WeftProxy;
  const ports = { upstream: 0, outbound: 0, admin: 0 };
  const source: TelemetrySource = { id: "shop/web-1", adminPort: 0, service: "web", namespace: "shop", version: "v1" };
  /** Requests the manager applied (a report counted once per seq, as the real one does). */
  const manager = { applied: 0, lastSeq: 0 };
  const send = async (edges: EdgeDelta[], seq: number) => {
    if (seq <= manager.lastSeq) return;
    manager.lastSeq = seq;
    manager.applied += edges.reduce((n, e) => n + e.requests, 0);
  };
  /** One agent run over the state folder `state`; `save` replaces how the pending file is written. */
  const run = (state: { seq?: number; pending?: PendingTelemetry }, admin: ProxyAdminClient = httpProxyAdmin, save?: (pending: PendingTelemetry) => Promise<void>) =>
    new TelemetryShipper({
      cluster: "east",
      admin,
      logger: new MemoryLogger(),
      intervalMs: 60_000,
      sources: () => [source],
      namespaceOf: () => "shop",
      send,
      seqStore: { last: state.seq, save: async (seq) => void (state.seq = seq) },
      pendingStore: { last: state.pending && (JSON.parse(JSON.stringify(state.pending)) as PendingTelemetry), save: save ?? (async (pending) => void (state.pending = JSON.parse(JSON.stringify(pending)) as PendingTelemetry)) },
    });
  const traffic = async (n: number) => {
    const before = proxy.edges.count({ destination_service: "catalog" });
    for (let i = 0; i < n; i++) expect(await get(ports.outbound)).toBe(200);
    await expect.poll(() => proxy.edges.count({ destination_service: "catalog" })).toBe(before + n);
  };

  beforeAll(async () => {
    upstream = await startApp(() => "catalog");
    ports.upstream = upstream.port;
    ports.outbound = await freePort();
    ports.admin = await freePort();
    source.adminPort = ports.admin;
    proxy = await WeftProxy.start(proxyConfig(ports), { listenerDrainMs: 0 });
  });
  afterAll(async () => {
    await proxy?.close({ drainMs: 0 });
    await closeApp(upstream);
  });

  it("loses nothing when the agent is killed after collecting and before recording the batch", async () => {
    const state: { seq?: number; pending?: PendingTelemetry } = {};
    await traffic(5);
    // The first run's write of the pending file never completes: it is killed while writing.
    let writing!: () => void;
    const reached = new Promise<void>((resolve) => (writing = resolve));
    void run(state, httpProxyAdmin, () => {
      writing();
      return new Promise<void>(() => {});
    }).collect();
    await reached;
    await traffic(2);
    const next = run(state);
    await next.tick();
    await next.tick();
    expect(manager.applied).toBe(7);
    expect(next.status).toMatchObject({ shippedRequests: 7, droppedRequests: 0 });
  });

  it("counts once a batch the killed agent had recorded and not acknowledged", async () => {
    const start = manager.applied;
    const state: { seq?: number; pending?: PendingTelemetry } = {};
    await traffic(4);
    // Recorded, then killed before the ack reached the proxy.
    const noAck: ProxyAdminClient = { ...httpProxyAdmin, ackTelemetry: async () => Promise.reject(new Error("killed")) };
    await run(state, noAck).collect();
    expect(Object.values(state.pending?.batches ?? {})).toHaveLength(1);
    await traffic(3);
    const next = run(state);
    await next.tick();
    await next.tick();
    expect(manager.applied - start).toBe(7);
  });
});
