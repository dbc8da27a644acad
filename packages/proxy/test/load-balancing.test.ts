import { Agent } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { backend, config, port, send, sendMany, Stack, vhost, waitFor, type Upstream } from "./harness.ts";

const stack = new Stack();
afterEach(() => stack.close());

function countBy(values: readonly (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v ?? "?"] = (out[v ?? "?"] ?? 0) + 1;
  return out;
}

describe("weighted backends", () => {
  it("splits traffic by weight within statistical tolerance", async () => {
    const stable = await stack.upstream("stable");
    const canary = await stack.upstream("canary");
    const proxy = await stack.proxy(
      config({
        backends: [backend("svc.default.v1", [stable], { service: "svc", version: "v1" }), backend("svc.default.v2", [canary], { service: "svc", version: "v2" })],
        virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default.v1", weight: 80 }, { backend: "svc.default.v2", weight: 20 }] }])],
      }),
    );
    const agent = new Agent({ keepAlive: true });
    stack.defer(() => agent.destroy());
    const n = 1000;
    const results = await sendMany(n, 10, () => send({ port: port(proxy), host: "svc", agent }));
    const counts = countBy(results.map((r) => r.headers["x-upstream"] as string));
    // 20% of 1000: standard deviation ~12.6, so ±60 is more than 4.5 sigma.
    expect(counts.canary ?? 0).toBeGreaterThan(140);
    expect(counts.canary ?? 0).toBeLessThan(260);
    expect((counts.stable ?? 0) + (counts.canary ?? 0)).toBe(n);
  });

  it("never sends to a weight-0 backend and answers 500 NC when all are 0", async () => {
    const a = await stack.upstream("a");
    const b = await stack.upstream("b");
    const proxy = await stack.proxy(
      config({
        backends: [backend("a.default", [a]), backend("b.default", [b])],
        virtualHosts: [
          vhost("svc", [{ backendRefs: [{ backend: "a.default", weight: 1 }, { backend: "b.default", weight: 0 }] }]),
          vhost("dead", [{ backendRefs: [{ backend: "a.default", weight: 0 }] }]),
        ],
      }),
    );
    const results = await sendMany(50, 5, () => send({ port: port(proxy), host: "svc" }));
    expect(new Set(results.map((r) => r.headers["x-upstream"]))).toEqual(new Set(["a"]));
    const dead = await send({ port: port(proxy), host: "dead" });
    expect(dead.status).toBe(500);
    expect(dead.headers["x-weft-flags"]).toBe("NC");
  });
});

describe("load-balancing algorithms", () => {
  async function threeEndpoints(lb: object, handler?: Parameters<Stack["upstream"]>[1]) {
    const ups: Upstream[] = [];
    for (const n of ["e1", "e2", "e3"]) ups.push(await stack.upstream(n, handler));
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", ups, { loadBalancer: lb as never })], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    return { ups, p: port(proxy) };
  }

  it.each([
    ["header", { kind: "header", name: "x-user" }, (k: string) => ({ headers: { "x-user": k } })],
    ["cookie", { kind: "cookie", name: "session" }, (k: string) => ({ headers: { cookie: `a=1; session=${k}; b=2` } })],
  ])("ring hash on a %s keeps each key on one endpoint and spreads keys", async (_kind, hashOn, req) => {
    const { p } = await threeEndpoints({ algorithm: "ring-hash", hashOn });
    const owner = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 30; k++) {
        const res = await send({ port: p, host: "svc", ...req(`user-${k}`) });
        const set = owner.get(`user-${k}`) ?? new Set<string>();
        set.add(res.headers["x-upstream"] as string);
        owner.set(`user-${k}`, set);
      }
    }
    for (const [key, set] of owner) expect(set.size, key).toBe(1);
    const used = new Set([...owner.values()].flatMap((s) => [...s]));
    expect(used.size).toBeGreaterThanOrEqual(2);
  });

  it("ring hash on the source address pins a client", async () => {
    const { p } = await threeEndpoints({ algorithm: "ring-hash", hashOn: { kind: "source-address" } });
    const results = await sendMany(20, 4, () => send({ port: p, host: "svc" }));
    expect(new Set(results.map((r) => r.headers["x-upstream"])).size).toBe(1);
  });

  it("ring hash moves only the keys of a removed endpoint", async () => {
    const ups: Upstream[] = [];
    for (const n of ["e1", "e2", "e3"]) ups.push(await stack.upstream(n));
    const make = (list: Upstream[], version: string) =>
      config({ version, backends: [backend("svc.default", list, { loadBalancer: { algorithm: "ring-hash", hashOn: { kind: "header", name: "x-user" } } })], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] });
    const proxy = await stack.proxy(make(ups, "v1"));
    const before = new Map<string, string>();
    for (let k = 0; k < 60; k++) before.set(`k${k}`, (await send({ port: port(proxy), host: "svc", headers: { "x-user": `k${k}` } })).headers["x-upstream"] as string);
    expect((await proxy.applyConfig(make(ups.slice(0, 2), "v2"))).ok).toBe(true);
    for (const [key, was] of before) {
      const now = (await send({ port: port(proxy), host: "svc", headers: { "x-user": key } })).headers["x-upstream"];
      if (was !== "e3") expect(now, key).toBe(was);
      else expect(now, key).not.toBe("e3");
    }
  });

  it("round robin spreads evenly", async () => {
    const { p } = await threeEndpoints({ algorithm: "round-robin" });
    const results = await sendMany(60, 1, () => send({ port: p, host: "svc" }));
    expect(countBy(results.map((r) => r.headers["x-upstream"] as string))).toEqual({ e1: 20, e2: 20, e3: 20 });
  });

  it.each(["random", "least-request"])("%s uses every endpoint", async (algorithm) => {
    const { p } = await threeEndpoints({ algorithm });
    const results = await sendMany(90, 3, () => send({ port: p, host: "svc" }));
    const counts = countBy(results.map((r) => r.headers["x-upstream"] as string));
    for (const e of ["e1", "e2", "e3"]) expect(counts[e] ?? 0, e).toBeGreaterThan(5);
  });

  it("least request avoids an endpoint with requests piling up", async () => {
    // "slow" holds its requests until released; the others answer at once.
    const held: (() => void)[] = [];
    const ups: Upstream[] = [];
    ups.push(await stack.upstream("slow", (_req, res) => held.push(() => res.end("slow"))));
    for (const n of ["f1", "f2"]) ups.push(await stack.upstream(n));
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", ups, { loadBalancer: { algorithm: "least-request" } })], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    // A concurrent burst leaves some requests stuck on "slow".
    let answered = 0;
    const burst = Array.from({ length: 30 }, () => send({ port: port(proxy), host: "svc" }).then((r) => (answered++, r)));
    await expect.poll(() => answered + held.length, { timeout: 3000 }).toBe(30);
    expect(held.length).toBeGreaterThan(0);
    // Now every pair that contains "slow" has a less loaded partner.
    const results = await sendMany(40, 1, () => send({ port: port(proxy), host: "svc" }));
    expect(results.filter((r) => r.body === "slow")).toHaveLength(0);
    for (const release of held) release();
    expect((await Promise.all(burst)).every((r) => r.status === 200)).toBe(true);
  });

  it("EWMA (the default) prefers the fast endpoint", async () => {
    const slow = await stack.upstream("slow", (_req, res) => setTimeout(() => res.end("slow"), 60));
    const fast = await stack.upstream("fast", (_req, res) => res.end("fast"));
    const proxy = await stack.proxy(config({ backends: [backend("svc.default", [slow, fast])], virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])] }));
    const results = await sendMany(60, 1, () => send({ port: port(proxy), host: "svc" }));
    const counts = countBy(results.map((r) => r.body));
    // Each endpoint is tried at least once; after that the slow one's cost stays higher.
    expect(counts.fast ?? 0).toBeGreaterThanOrEqual(50);
  });
});

describe("locality", () => {
  async function setup(endpoints: { name: string; zone?: string; cluster?: string; health?: "healthy" | "unhealthy" }[]) {
    const ups: Upstream[] = [];
    for (const e of endpoints) ups.push(await stack.upstream(e.name));
    const proxy = await stack.proxy(
      config({
        backends: [
          {
            ...backend("svc.default", []),
            endpoints: endpoints.map((e, i) => ({ address: "127.0.0.1", port: ups[i]?.port ?? 0, health: e.health ?? "healthy", locality: { zone: e.zone, cluster: e.cluster } })),
          },
        ],
        virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])],
      }),
    );
    const results = await sendMany(30, 3, () => send({ port: port(proxy), host: "svc" }));
    return { statuses: new Set(results.map((r) => r.status)), served: new Set(results.map((r) => r.headers["x-upstream"])), flags: new Set(results.map((r) => r.headers["x-weft-flags"])) };
  }
  // The proxy runs in zone z1 of cluster c1.
  it.each([
    ["same zone first", [{ name: "local", zone: "z1", cluster: "c1" }, { name: "cluster", zone: "z2", cluster: "c1" }, { name: "remote", zone: "z9", cluster: "c2" }], ["local"]],
    ["same cluster when the zone has no healthy endpoint", [{ name: "local", zone: "z1", cluster: "c1", health: "unhealthy" as const }, { name: "cluster", zone: "z2", cluster: "c1" }, { name: "remote", zone: "z9", cluster: "c2" }], ["cluster"]],
    ["other clusters when the cluster has none", [{ name: "local", zone: "z1", cluster: "c1", health: "unhealthy" as const }, { name: "remote-a", zone: "z9", cluster: "c2" }, { name: "remote-b", cluster: "c3" }], ["remote-a", "remote-b"]],
  ])("%s", async (_name, endpoints, expected) => {
    const { served, statuses } = await setup(endpoints);
    expect(statuses).toEqual(new Set([200]));
    expect([...served].sort()).toEqual([...expected].sort());
  });

  it("answers 503 UH when no endpoint is healthy", async () => {
    const { statuses, flags, served } = await setup([{ name: "a", zone: "z1", cluster: "c1", health: "unhealthy" }]);
    expect(statuses).toEqual(new Set([503]));
    expect(flags).toEqual(new Set(["UH"]));
    expect(served).toEqual(new Set([undefined]));
  });
});

describe("locality failover across clusters (issue 12)", () => {
  // What the compiler emits by default (DEFAULT_OUTLIER_DETECTION in mesh-model) but with a 1 s ejection instead
  // of 30 s, plus an active health check every 100 ms, so that detection and fail-back fit in a test.
  const outlierDetection = { consecutive5xx: 5, consecutiveGatewayErrors: 3, intervalMs: 10_000, baseEjectionTimeMs: 1000, maxEjectionTimeMs: 1000, maxEjectionPercent: 100, alwaysKeepOne: true };
  const healthChecks = [{ type: "http" as const, path: "/healthz", intervalMs: 100, timeoutMs: 100, healthyThreshold: 2, unhealthyThreshold: 1 }];

  it("serves an east caller from its 3 east instances while they are healthy, fails over to west's 2 when they fail, and comes back", async () => {
    const east = [await stack.controlled("east-1"), await stack.controlled("east-2"), await stack.controlled("east-3")];
    const west = [await stack.controlled("west-1"), await stack.controlled("west-2")];
    const endpoint = (u: Upstream, cluster: string) => ({ address: "127.0.0.1", port: u.port, locality: { zone: `${cluster}-1a`, cluster } });
    const proxy = await stack.proxy(
      config({
        node: { service: "frontend", namespace: "default", locality: { zone: "east-1a", cluster: "east" } },
        backends: [{ ...backend("svc.default", []), endpoints: [...east.map((u) => endpoint(u, "east")), ...west.map((u) => endpoint(u, "west"))], policy: { outlierDetection, healthChecks } }],
        virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])],
      }),
    );
    const agent = new Agent({ keepAlive: true });
    stack.defer(() => agent.destroy());
    /** A window of `n` requests: the share answered 2xx and the share each cluster served (counted at the upstreams). */
    const window = async (n: number) => {
      const served = (ups: readonly Upstream[]) => ups.reduce((sum, u) => sum + u.seen.filter((r) => r.url !== "/healthz").length, 0);
      const [e0, w0] = [served(east), served(west)];
      const results = await sendMany(n, 4, () => send({ port: port(proxy), host: "svc", agent }));
      const ok = results.filter((r) => r.status === 200).length / n;
      return { ok, east: (served(east) - e0) / n, west: (served(west) - w0) / n };
    };

    // Healthy: 100 % local.
    expect(await window(300)).toEqual({ ok: 1, east: 1, west: 0 });

    // East fails (every request and its health check): within a few checks every request goes to west.
    for (const u of east) Object.assign(u.control, { status: 503, healthy: false });
    await waitFor(async () => (await window(50)).ok === 1, 10_000, "east's instances taken out");
    const failedOver = await window(300);
    expect(failedOver.ok).toBeGreaterThanOrEqual(0.99);
    expect(failedOver.west).toBeGreaterThanOrEqual(0.99);

    // East recovers: traffic returns and stays local.
    for (const u of east) Object.assign(u.control, { status: 200, healthy: true });
    await waitFor(async () => (await window(50)).east === 1, 10_000, "traffic back in east");
    expect(await window(300)).toEqual({ ok: 1, east: 1, west: 0 });
  });
});

describe("explicit locality failover order and weighted distribution (issue 12)", () => {
  const healthChecks = [{ type: "http" as const, path: "/healthz", intervalMs: 100, timeoutMs: 100, healthyThreshold: 2, unhealthyThreshold: 1 }];
  const endpoint = (u: Upstream, cluster: string) => ({ address: "127.0.0.1", port: u.port, locality: { zone: `${cluster}-1a`, cluster } });

  async function eastCaller(endpoints: ReturnType<typeof endpoint>[], policy: Record<string, unknown>) {
    const proxy = await stack.proxy(
      config({
        node: { service: "frontend", namespace: "default", locality: { zone: "east-1a", cluster: "east" } },
        backends: [{ ...backend("svc.default", []), endpoints, policy: { healthChecks, ...policy } }],
        virtualHosts: [vhost("svc", [{ backendRefs: [{ backend: "svc.default" }] }])],
      }),
    );
    const agent = new Agent({ keepAlive: true });
    stack.defer(() => agent.destroy());
    /** A window of `n` requests: the share answered 2xx and the share each group of upstreams served (counted at the upstreams). */
    return async (n: number, groups: Record<string, readonly Upstream[]>): Promise<Record<string, number>> => {
      const served = (ups: readonly Upstream[]) => ups.reduce((sum, u) => sum + u.seen.filter((r) => r.url !== "/healthz").length, 0);
      const before = Object.fromEntries(Object.entries(groups).map(([k, ups]) => [k, served(ups)]));
      const results = await sendMany(n, 8, () => send({ port: port(proxy), host: "svc", agent }));
      const shares = Object.fromEntries(Object.entries(groups).map(([k, ups]) => [k, (served(ups) - (before[k] ?? 0)) / n]));
      return { ok: results.filter((r) => r.status === 200).length / n, ...shares };
    };
  }

  it("distributes an east caller's requests 80/20 between east and west, and sends all to west while east is down", async () => {
    const east = [await stack.controlled("east-1"), await stack.controlled("east-2")];
    const west = [await stack.controlled("west-1"), await stack.controlled("west-2")];
    const window = await eastCaller([...east.map((u) => endpoint(u, "east")), ...west.map((u) => endpoint(u, "west"))], {
      localityDistribution: [
        { cluster: "east", weight: 80 },
        { cluster: "west", weight: 20 },
      ],
    });
    const split = await window(1000, { east, west });
    expect(split.ok).toBe(1);
    expect(Math.abs((split.east ?? 0) * 100 - 80)).toBeLessThanOrEqual(5);
    expect(Math.abs((split.west ?? 0) * 100 - 20)).toBeLessThanOrEqual(5);

    // East fails its health checks: its share goes to west.
    for (const u of east) Object.assign(u.control, { status: 503, healthy: false });
    await waitFor(async () => (await window(50, { west })).west === 1, 10_000, "east's instances taken out");
    expect(await window(200, { east, west })).toEqual({ ok: 1, east: 0, west: 1 });
  });

  it("fails over in the configured cluster order (central before west) when the local level is down", async () => {
    const east = await stack.controlled("east-1");
    const west = await stack.controlled("west-1");
    const central = await stack.controlled("central-1");
    const window = await eastCaller([endpoint(east, "east"), endpoint(west, "west"), endpoint(central, "central")], { localityOrder: ["central", "west"] });
    const groups = { east: [east], west: [west], central: [central] };
    expect(await window(100, groups)).toEqual({ ok: 1, east: 1, west: 0, central: 0 });

    Object.assign(east.control, { status: 503, healthy: false });
    await waitFor(async () => (await window(20, groups)).central === 1, 10_000, "east taken out");
    expect(await window(200, groups)).toEqual({ ok: 1, east: 0, west: 0, central: 1 });

    Object.assign(central.control, { status: 503, healthy: false });
    await waitFor(async () => (await window(20, groups)).west === 1, 10_000, "central taken out");
    expect(await window(200, groups)).toEqual({ ok: 1, east: 0, west: 1, central: 0 });
  });
});
