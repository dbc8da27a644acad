import { EndpointSchema, type Locality } from "@weft/mesh-model/proxy-config";
import { describe, expect, it } from "vitest";
import { eligibleEndpoints, EndpointStats, EwmaBalancer, HashRing, localityLevel, readCookie, RoundRobinBalancer, type EndpointView } from "./load-balancer.ts";

function view(key: string, extra: { zone?: string; cluster?: string; health?: "healthy" | "unhealthy" | "draining"; weight?: number } = {}): EndpointView {
  const endpoint = EndpointSchema.parse({ address: key, port: 80, health: extra.health, weight: extra.weight, locality: { zone: extra.zone, cluster: extra.cluster } });
  return { key, endpoint, stats: new EndpointStats() };
}

const local: Locality = { zone: "z1", cluster: "c1" };

describe("localityLevel", () => {
  it.each<[Locality, Locality, number]>([
    [local, { zone: "z1", cluster: "c1" }, 0],
    [local, { zone: "z2", cluster: "c1" }, 1],
    [local, { cluster: "c1" }, 1],
    [local, { zone: "z1", cluster: "c2" }, 2],
    [local, {}, 2],
    [{}, {}, 2],
    [{ cluster: "c1" }, { zone: "z1", cluster: "c1" }, 1],
  ])("%o sees %o at level %i", (a, b, level) => {
    expect(localityLevel(a, b)).toBe(level);
  });
});

describe("eligibleEndpoints", () => {
  const zone = view("zone", { zone: "z1", cluster: "c1" });
  const cluster = view("cluster", { zone: "z2", cluster: "c1" });
  const remote = view("remote", { zone: "z1", cluster: "c2" });
  const sick = (v: EndpointView): EndpointView => ({ ...v, endpoint: { ...v.endpoint, health: "unhealthy" } });
  it.each<[string, EndpointView[], boolean, string[], string[]]>([
    ["same zone first", [remote, cluster, zone], true, [], ["zone"]],
    ["fails over to the cluster", [remote, cluster, sick(zone)], true, [], ["cluster"]],
    ["fails over to the rest", [remote, sick(cluster), sick(zone)], true, [], ["remote"]],
    ["nothing healthy", [sick(zone)], true, [], []],
    ["draining is not eligible", [{ ...zone, endpoint: { ...zone.endpoint, health: "draining" } }, cluster], true, [], ["cluster"]],
    ["locality off: every healthy endpoint", [remote, cluster, zone], false, [], ["remote", "cluster", "zone"]],
    ["a retry skips tried endpoints, moving to the next level", [remote, cluster, zone], true, ["zone"], ["cluster"]],
    ["when everything was tried, the best level again", [remote, zone], true, ["zone", "remote"], ["zone"]],
  ])("%s", (_name, views, aware, tried, expected) => {
    expect(eligibleEndpoints(views, local, aware, new Set(tried)).map((v) => v.key)).toEqual(expected);
  });
});

describe("RoundRobinBalancer", () => {
  it.each([
    [[1, 1, 1], [4, 4, 4]],
    [[3, 1], [9, 3]],
    [[5, 1, 2], [5, 1, 2]],
  ])("weights %o over a full cycle give %o", (weights, expected) => {
    const views = weights.map((w, i) => view(`e${i}`, { weight: w }));
    const rr = new RoundRobinBalancer();
    const counts = new Map<string, number>();
    const rounds = expected.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rounds; i++) {
      const k = rr.pick(views)?.key ?? "";
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(views.map((v) => counts.get(v.key) ?? 0)).toEqual(expected);
  });
});

describe("HashRing", () => {
  const keys = Array.from({ length: 500 }, (_, i) => `user-${i}`);
  it("is stable and spreads keys over every endpoint", () => {
    const views = ["a", "b", "c"].map((k) => view(k));
    const ring = new HashRing(views, 160);
    const owners = keys.map((k) => ring.lookup(k)?.key);
    expect(keys.map((k) => new HashRing(views, 160).lookup(k)?.key)).toEqual(owners);
    for (const k of ["a", "b", "c"]) expect(owners.filter((o) => o === k).length, k).toBeGreaterThan(80);
  });

  it("moves only the removed endpoint's keys", () => {
    const views = ["a", "b", "c"].map((k) => view(k));
    const before = new HashRing(views, 160);
    const after = new HashRing(views.slice(0, 2), 160);
    for (const k of keys) {
      const was = before.lookup(k)?.key;
      if (was !== "c") expect(after.lookup(k)?.key, k).toBe(was);
    }
  });
});

describe("EWMA", () => {
  it.each([
    ["a fast endpoint costs less", { ewma: 1, inflight: 0 }, { ewma: 50, inflight: 0 }, "a"],
    ["load multiplies latency", { ewma: 10, inflight: 9 }, { ewma: 20, inflight: 0 }, "b"],
    ["an unmeasured idle endpoint gets probed", { ewma: 0, inflight: 0 }, { ewma: 5, inflight: 0 }, "a"],
    ["an unmeasured busy endpoint is avoided", { ewma: 0, inflight: 1 }, { ewma: 500, inflight: 3 }, "b"],
  ])("%s", (_name, a, b, expected) => {
    const mk = (key: string, s: { ewma: number; inflight: number }) => {
      const v = view(key);
      if (s.ewma > 0) v.stats.observe(s.ewma, 1000);
      v.stats.inflight = s.inflight;
      return v;
    };
    const [va, vb] = [mk("a", a), mk("b", b)];
    expect(EwmaBalancer.cost(va, 1000) < EwmaBalancer.cost(vb, 1000) ? "a" : "b").toBe(expected);
  });

  it("takes a slower sample at once and decays towards quiet", () => {
    const s = new EndpointStats();
    s.observe(10, 0);
    s.observe(100, 1);
    expect(s.latencyMs(1)).toBe(100);
    expect(s.latencyMs(10_001)).toBeCloseTo(100 * Math.exp(-1), 5);
  });
});

describe("readCookie", () => {
  it.each([
    ["a=1; session=xyz; b=2", "session", "xyz"],
    ["session=", "session", ""],
    ["sessionx=1", "session", undefined],
    [undefined, "session", undefined],
  ])("%s / %s", (header, name, expected) => {
    expect(readCookie(header, name)).toBe(expected);
  });
});

describe("explicit locality failover order and weighted distribution", () => {
  // A seeded generator (mulberry32), so the shares below are the same on every run.
  function seeded(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
  }
  const east = { zone: "e1", cluster: "east" };
  const ejected = (v: EndpointView): EndpointView => {
    const stats = new EndpointStats();
    stats.ejectedUntil = 1;
    return { ...v, stats };
  };

  it("fails over to the clusters of the order, in that order, when the local level is ejected", () => {
    const localOne = view("east-1", east);
    const central = view("central-1", { cluster: "central" });
    const west = view("west-1", { cluster: "west" });
    const other = view("north-1", { cluster: "north" });
    const order = { order: ["west", "central"] };
    expect(eligibleEndpoints([central, west, other, localOne], east, true, undefined, order).map((v) => v.key)).toEqual(["east-1"]);
    expect(eligibleEndpoints([central, west, other, ejected(localOne)], east, true, undefined, order).map((v) => v.key)).toEqual(["west-1"]);
    expect(eligibleEndpoints([central, ejected(west), other, ejected(localOne)], east, true, undefined, order).map((v) => v.key)).toEqual(["central-1"]);
    // Clusters the order does not name come last.
    expect(eligibleEndpoints([ejected(central), ejected(west), other, ejected(localOne)], east, true, undefined, order).map((v) => v.key)).toEqual(["north-1"]);
    // A retry that tried west moves on to central.
    expect(eligibleEndpoints([central, west, other, ejected(localOne)], east, true, new Set(["west-1"]), order).map((v) => v.key)).toEqual(["central-1"]);
  });

  it("sends 80/20 between two clusters' endpoints over 1000 picks, and all to the other when one is ejected", () => {
    const views = [view("east-1", east), view("east-2", east), view("west-1", { cluster: "west" }), view("west-2", { cluster: "west" }), view("west-3", { cluster: "west" })];
    const distribution = { distribution: [{ cluster: "east", weight: 80 }, { cluster: "west", weight: 20 }] };
    const random = seeded(12);
    const rr = new RoundRobinBalancer();
    const served = (vs: EndpointView[]) => {
      const byCluster = new Map<string, number>();
      for (let i = 0; i < 1000; i++) {
        const picked = rr.pick(eligibleEndpoints(vs, east, true, undefined, distribution, random));
        const cluster = picked?.endpoint.locality.cluster ?? "none";
        byCluster.set(cluster, (byCluster.get(cluster) ?? 0) + 1);
      }
      return byCluster;
    };
    const shares = served(views);
    expect(Math.abs((shares.get("east") ?? 0) / 10 - 80)).toBeLessThanOrEqual(5);
    expect(Math.abs((shares.get("west") ?? 0) / 10 - 20)).toBeLessThanOrEqual(5);
    // East's endpoints ejected: its share goes to west, nothing fails.
    const failedOver = served(views.map((v) => (v.endpoint.locality.cluster === "east" ? ejected(v) : v)));
    expect(Object.fromEntries(failedOver)).toEqual({ west: 1000 });
  });

  it("a zone entry matches before its cluster's entry, and unmatched endpoints serve only when no entry can", () => {
    const zoned = view("east-e1", east);
    const other = view("east-e2", { zone: "e2", cluster: "east" });
    const stray = view("north-1", { cluster: "north" });
    const distribution = { distribution: [{ cluster: "east", zone: "e1", weight: 100 }, { cluster: "east", weight: 1 }] };
    const pickKeys = (vs: EndpointView[]) => eligibleEndpoints(vs, east, true, undefined, distribution, () => 0).map((v) => v.key);
    expect(pickKeys([zoned, other, stray])).toEqual(["east-e1"]);
    expect(pickKeys([ejected(zoned), ejected(other), stray])).toEqual(["north-1"]);
  });
});
