import { Agent } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, port, send, Stack, vhost, type ClientResponse } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

describe("hot reload", () => {
  it("swaps config every 100 ms under continuous load with zero failed requests", async () => {
    const blue = await stack.upstream("blue");
    const green = await stack.upstream("green");
    const make = (i: number) =>
      config({
        version: `v${i}`,
        backends:
          i % 2 === 0
            ? [backend("svc.blue", [blue], { service: "svc" }), backend("svc.green", [green], { service: "svc" })]
            : // Odd versions drop the blue backend entirely and change the green pool settings.
              [backend("svc.green", [green], { service: "svc", policy: { idleTimeoutMs: 30_000 + i } })],
        virtualHosts: [vhost("svc", [{ backendRefs: i % 2 === 0 ? [{ backend: "svc.blue", weight: 1 }, { backend: "svc.green", weight: 1 }] : [{ backend: "svc.green" }] }])],
      });
    const proxy = await stack.proxy(make(0));
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    stack.defer(() => agent.destroy());

    let stop = false;
    const results: ClientResponse[] = [];
    const errors: unknown[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          results.push(await send({ port: port(proxy), host: "svc", method: "POST", body: "x".repeat(1000), agent }));
        } catch (err) {
          errors.push(err);
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    let applied = 0;
    for (let i = 1; i <= 15; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await proxy.applyConfig(make(i));
      if (r.ok) applied++;
    }
    stop = true;
    await Promise.all(workers);

    expect(applied).toBe(15);
    expect(proxy.version).toBe("v15");
    expect(errors).toEqual([]);
    expect(results.length).toBeGreaterThan(100);
    expect(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.headers["x-weft-flags"]}`)).toEqual([]);
    expect(blue.seen.length).toBeGreaterThan(0);
  });

  it("refuses an invalid config with a reason while the old one keeps serving", async () => {
    const up = await stack.upstream("up");
    const good = config({ version: "good", backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] });
    const proxy = await stack.proxy(good);
    const bad = config({ version: "bad", backends: [], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] });
    const result = await proxy.applyConfig(bad);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain("virtualHosts[0].routes[0].rules[0].backendRefs[0].backend: unknown backend 'svc.default'");
    expect((await proxy.applyConfig({ version: 3 })).ok).toBe(false);
    expect(proxy.version).toBe("good");
    expect((await send({ port: port(proxy), host: "svc" })).status).toBe(200);
    expect(proxy.metrics.reloads.get({ result: "rejected" })).toBe(2);
    const stats = proxy.stats();
    expect(stats.config.rejected).toBe(2);
  });

  it("refuses a config whose listener cannot bind, keeping the old one", async () => {
    const busy = await stack.upstream("busy");
    const proxy = await stack.proxy(config({ version: "a" }));
    const result = await proxy.applyConfig(
      config({ version: "b", listeners: [{ kind: "outbound", name: "outbound", port: 0 }, { kind: "outbound", name: "clash", port: busy.port }] }),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/EADDRINUSE/);
    expect(proxy.version).toBe("a");
    expect(proxy.listenerAddress("clash")).toBeUndefined();
    expect((await send({ port: port(proxy), host: "x" })).status).toBe(404);
  });

  it("finishes in-flight requests on the old config", async () => {
    const release: (() => void)[] = [];
    const old = await stack.upstream("old", (_req, res) => release.push(() => res.end("old")));
    const next = await stack.upstream("next");
    const proxy = await stack.proxy(config({ version: "1", backends: [backend("old.default", [old])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "old.default" }] }])] }));
    const inflight = send({ port: port(proxy), host: "svc" });
    await expect.poll(() => release.length).toBe(1);
    expect((await proxy.applyConfig(config({ version: "2", backends: [backend("next.default", [next])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "next.default" }] }])] }))).ok).toBe(true);
    expect((await send({ port: port(proxy), host: "svc" })).headers["x-upstream"]).toBe("next");
    release[0]?.();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body).toBe("old");
  });

  it("starts added listeners and drains removed ones", async () => {
    const release: (() => void)[] = [];
    const up = await stack.upstream("up", (_req, res) => release.push(() => res.end("done")));
    const routes = { backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] };
    const base = [{ kind: "outbound" as const, name: "outbound", port: 0 }];
    const proxy = await stack.proxy(config({ version: "1", listeners: base, ...routes }));
    expect(proxy.listenerAddress("extra")).toBeUndefined();

    await proxy.applyConfig(config({ version: "2", listeners: [...base, { kind: "outbound", name: "extra", port: 0 }], ...routes }));
    const extraPort = port(proxy, "extra");
    const inflight = send({ port: extraPort, host: "svc" });
    await expect.poll(() => release.length).toBe(1);

    await proxy.applyConfig(config({ version: "3", listeners: base, ...routes }));
    expect(proxy.listenerAddress("extra")).toBeUndefined();
    // New connections are refused; the request already on it completes.
    await expect(send({ port: extraPort, host: "svc" })).rejects.toThrow(/ECONNREFUSED/);
    release[0]?.();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe("close");
  });
});

describe("admin listener", () => {
  it("serves /ready, /config, /stats and /metrics", async () => {
    const up = await stack.upstream("up");
    const proxy = await stack.proxy(config({ version: "rev-42", backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    await send({ port: port(proxy), host: "svc" });
    const admin = port(proxy, "admin");

    expect((await send({ port: admin, path: "/ready" })).status).toBe(200);

    const dump = (await send({ port: admin, path: "/config" })).json<{ version: string; config: { backends: { name: string }[] } }>();
    expect(dump.version).toBe("rev-42");
    expect(dump.config.backends[0]?.name).toBe("svc.default");

    const stats = (await send({ port: admin, path: "/stats" })).json<{ version: string; backends: Record<string, { requests: number; endpoints: { requests: number }[] }> }>();
    expect(stats.version).toBe("rev-42");
    expect(stats.backends["svc.default"]?.requests).toBe(1);
    expect(stats.backends["svc.default"]?.endpoints[0]?.requests).toBe(1);

    const metrics = await send({ port: admin, path: "/metrics" });
    expect(metrics.headers["content-type"]).toContain("text/plain; version=0.0.4");
    for (const family of ["weft_requests_total", "weft_request_duration_seconds", "weft_config_reloads_total", "weft_active_requests", "weft_config_info"]) {
      expect(metrics.body).toContain(`# TYPE ${family} `);
    }
    expect(metrics.body).toContain('weft_config_info{version="rev-42"} 1');
    expect((await send({ port: admin, path: "/nope" })).status).toBe(404);
  });

  it("reports not ready while draining on shutdown, and finishes in-flight requests", async () => {
    const release: (() => void)[] = [];
    const up = await stack.upstream("up", (_req, res) => release.push(() => res.end("done")));
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", [up])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    const admin = port(proxy, "admin");
    const inflight = send({ port: port(proxy), host: "svc" });
    await expect.poll(() => release.length).toBe(1);
    const closing = proxy.close({ drainMs: 5000 });
    expect((await send({ port: admin, path: "/ready" })).status).toBe(503);
    release[0]?.();
    expect((await inflight).status).toBe(200);
    await closing;
  });
});
