// Endpoint selection: locality priority, then one of the load-balancing
// algorithms. Mutable per-endpoint state (in-flight count, latency EWMA)
// lives in EndpointStats, which survives config reloads; everything else is
// recomputed from the config.
import { pickWeighted, type Endpoint, type Locality, type LocalityWeight, type LoadBalancer, type RandomSource } from "@weft/mesh-model/proxy-config";

/** Decay time of the latency EWMA (Finagle and Linkerd use 10 s). */
export const EWMA_DECAY_MS = 10_000;
/** Cost of an endpoint with no latency sample yet and requests in flight (Finagle's penalty). */
const UNMEASURED_BUSY_COST = Number.MAX_SAFE_INTEGER;

/** Live numbers for one endpoint, shared by every config version that has it. */
export class EndpointStats {
  inflight = 0;
  requests = 0;
  failures = 0;
  /** Outlier detection: ejected until this time (ms since epoch), 0 when not ejected. */
  ejectedUntil = 0;
  /** Times ejected (the ejection-time multiplier; decays while the endpoint behaves). */
  ejections = 0;
  ejectionReason: string | undefined;
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;
  /** Requests and successes in the current outlier-detection interval (success-rate ejection). */
  intervalRequests = 0;
  intervalSuccesses = 0;
  /** Failing an active health check (unhealthy threshold reached, healthy threshold not yet). */
  checkFailing = false;

  /** @param firstSeenMs when the endpoint first appeared (slow start). */
  constructor(readonly firstSeenMs = 0) {}

  /** Not ejected and not failing an active check. */
  get available(): boolean {
    return this.ejectedUntil === 0 && !this.checkFailing;
  }
  private ewmaMs = 0;
  private stampMs = 0;

  /** Peak EWMA: a slower sample takes over at once, faster ones blend in. */
  observe(rttMs: number, now: number): void {
    const w = Math.exp(-Math.max(0, now - this.stampMs) / EWMA_DECAY_MS);
    this.ewmaMs = rttMs > this.ewmaMs ? rttMs : this.ewmaMs * w + rttMs * (1 - w);
    this.stampMs = now;
  }

  /** The EWMA decayed to `now`, so an endpoint that went quiet gets probed again. */
  latencyMs(now: number): number {
    return this.ewmaMs * Math.exp(-Math.max(0, now - this.stampMs) / EWMA_DECAY_MS);
  }
}

/** An endpoint of the active config with its shared stats. */
export interface EndpointView {
  key: string;
  endpoint: Endpoint;
  stats: EndpointStats;
}

export interface PickContext {
  random: RandomSource;
  now: number;
  /** Ring-hash key of the request, when the algorithm needs one. */
  hashKey?: string | undefined;
  /** Endpoints already tried by this request; avoided when others exist. */
  tried?: ReadonlySet<string> | undefined;
}

/** Locality level of an endpoint seen from `local`: 0 same zone, 1 same cluster, 2 the rest. */
export function localityLevel(local: Locality, remote: Locality): 0 | 1 | 2 {
  const sameCluster = local.cluster === remote.cluster;
  if (local.zone !== undefined && remote.zone === local.zone && sameCluster) return 0;
  if (local.cluster !== undefined && sameCluster) return 1;
  return 2;
}

/** Explicit locality settings of a backend (BackendPolicy.localityOrder / localityDistribution). */
export interface LocalityPreference {
  /** Clusters after the caller's own, in order of preference. */
  order?: readonly string[] | undefined;
  /** Share of requests per locality; replaces the levels. */
  distribution?: readonly LocalityWeight[] | undefined;
}

/** Healthy endpoints in priority levels: same zone, same cluster, then each cluster of `order`, then the rest. */
function priorityLevels(healthy: readonly EndpointView[], local: Locality, order: readonly string[]): EndpointView[][] {
  const levels: EndpointView[][] = Array.from({ length: 3 + order.length }, () => []);
  for (const v of healthy) {
    const level = localityLevel(local, v.endpoint.locality);
    const named = level === 2 && v.endpoint.locality.cluster !== undefined ? order.indexOf(v.endpoint.locality.cluster) : -1;
    levels[level < 2 ? level : named >= 0 ? 2 + named : 2 + order.length]?.push(v);
  }
  return levels;
}

/** Index of the first distribution entry an endpoint's locality matches, or -1. */
function distributionEntry(distribution: readonly LocalityWeight[], at: Locality): number {
  return distribution.findIndex((d) => d.cluster === at.cluster && (d.zone === undefined || d.zone === at.zone));
}

/**
 * Weighted locality distribution: a locality is drawn by its weight among
 * those with a healthy (and, on a retry, untried) endpoint; endpoints no entry
 * matches are used only when no entry has one.
 */
function distributedEndpoints(healthy: readonly EndpointView[], distribution: readonly LocalityWeight[], random: RandomSource, tried?: ReadonlySet<string>): EndpointView[] {
  const groups: EndpointView[][] = distribution.map(() => []);
  const unmatched: EndpointView[] = [];
  for (const v of healthy) {
    const i = distributionEntry(distribution, v.endpoint.locality);
    const group = i >= 0 ? groups[i] : undefined;
    if (group) group.push(v);
    else unmatched.push(v);
  }
  const choose = (keep: (v: EndpointView) => boolean): EndpointView[] | undefined => {
    const items = groups.map((g, i) => ({ g: g.filter(keep), weight: distribution[i]?.weight ?? 0 })).filter((x) => x.g.length > 0);
    const picked = pickWeighted(items, random)?.g;
    if (picked) return picked;
    const rest = unmatched.filter(keep);
    return rest.length > 0 ? rest : undefined;
  };
  if (tried && tried.size > 0) {
    const fresh = choose((v) => !tried.has(v.key));
    if (fresh) return fresh;
  }
  return choose(() => true) ?? [];
}

/**
 * The endpoints to balance over: healthy ones of the best locality level
 * (failing over to the next level when a level has none), preferring
 * endpoints this request has not tried yet; on a retry that means moving to
 * the next level when every endpoint of the best one was tried. With a
 * distribution, one locality drawn by weight (`random` is then required).
 */
export function eligibleEndpoints(
  views: readonly EndpointView[],
  local: Locality,
  localityAware: boolean,
  tried?: ReadonlySet<string>,
  preference: LocalityPreference = {},
  random: RandomSource = Math.random,
): EndpointView[] {
  const healthy = views.filter((v) => v.endpoint.health === "healthy" && v.stats.available);
  if (healthy.length === 0) return [];
  if (localityAware && preference.distribution && preference.distribution.length > 0) return distributedEndpoints(healthy, preference.distribution, random, tried);
  const levels: EndpointView[][] = localityAware ? priorityLevels(healthy, local, preference.order ?? []) : [[...healthy]];
  if (tried && tried.size > 0) {
    for (const level of levels) {
      const fresh = level.filter((v) => !tried.has(v.key));
      if (fresh.length > 0) return fresh;
    }
  }
  return levels.find((l) => l.length > 0) ?? [];
}

export interface Balancer {
  pick(candidates: readonly EndpointView[], ctx: PickContext): EndpointView | undefined;
}

const byWeight = (v: EndpointView) => ({ v, weight: v.endpoint.weight });

function pickTwo(candidates: readonly EndpointView[], random: RandomSource): [EndpointView, EndpointView] | undefined {
  const items = candidates.map(byWeight);
  const a = pickWeighted(items, random);
  if (!a) return undefined;
  const rest = items.filter((i) => i !== a);
  const b = pickWeighted(rest, random) ?? a;
  return [a.v, b.v];
}

/** Weighted random. */
export class RandomBalancer implements Balancer {
  pick(candidates: readonly EndpointView[], ctx: PickContext) {
    return pickWeighted(candidates.map(byWeight), ctx.random)?.v;
  }
}

/** Smooth weighted round robin (nginx): even spread, weights respected. */
export class RoundRobinBalancer implements Balancer {
  private readonly current = new Map<string, number>();
  pick(candidates: readonly EndpointView[]) {
    let total = 0;
    let best: EndpointView | undefined;
    let bestWeight = -Infinity;
    for (const c of candidates) {
      const w = (this.current.get(c.key) ?? 0) + c.endpoint.weight;
      this.current.set(c.key, w);
      total += c.endpoint.weight;
      if (w > bestWeight) {
        best = c;
        bestWeight = w;
      }
    }
    if (best) this.current.set(best.key, bestWeight - total);
    return best;
  }
}

/** Power of two choices on in-flight requests per unit of weight. */
export class LeastRequestBalancer implements Balancer {
  pick(candidates: readonly EndpointView[], ctx: PickContext) {
    const two = pickTwo(candidates, ctx.random);
    if (!two) return undefined;
    const load = (v: EndpointView) => (v.stats.inflight + 1) / v.endpoint.weight;
    return load(two[1]) < load(two[0]) ? two[1] : two[0];
  }
}

/** Peak-EWMA power of two choices: latency times (in-flight + 1), per unit of weight. */
export class EwmaBalancer implements Balancer {
  static cost(v: EndpointView, now: number): number {
    const latency = v.stats.latencyMs(now);
    if (latency === 0 && v.stats.inflight > 0) return UNMEASURED_BUSY_COST;
    return (latency * (v.stats.inflight + 1)) / v.endpoint.weight;
  }
  pick(candidates: readonly EndpointView[], ctx: PickContext) {
    const two = pickTwo(candidates, ctx.random);
    if (!two) return undefined;
    return EwmaBalancer.cost(two[1], ctx.now) < EwmaBalancer.cost(two[0], ctx.now) ? two[1] : two[0];
  }
}

/** 32-bit FNV-1a with a murmur3 finalizer for better avalanche. */
export function hash32(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A consistent-hash ring over a set of endpoints. */
export class HashRing {
  private readonly points: { hash: number; view: EndpointView }[] = [];

  constructor(views: readonly EndpointView[], pointsPerWeight: number) {
    for (const v of views) {
      const n = pointsPerWeight * v.endpoint.weight;
      for (let i = 0; i < n; i++) this.points.push({ hash: hash32(`${v.key}#${i}`), view: v });
    }
    this.points.sort((a, b) => a.hash - b.hash);
  }

  /** The endpoint owning `key`: the first point clockwise from its hash. */
  lookup(key: string): EndpointView | undefined {
    const h = hash32(key);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid]?.hash ?? 0) < h) lo = mid + 1;
      else hi = mid;
    }
    return (this.points[lo] ?? this.points[0])?.view;
  }
}

/** Consistent hashing; requests without a key are spread at random. */
export class RingHashBalancer implements Balancer {
  private cache: { id: string; ring: HashRing } | undefined;
  private readonly fallback = new RandomBalancer();

  constructor(private readonly pointsPerWeight: number) {}

  pick(candidates: readonly EndpointView[], ctx: PickContext) {
    if (ctx.hashKey === undefined) return this.fallback.pick(candidates, ctx);
    // Candidate sets change only with health, locality or retries: cache the last ring.
    const id = candidates.map((c) => `${c.key}*${c.endpoint.weight}`).join(",");
    if (this.cache?.id !== id) this.cache = { id, ring: new HashRing(candidates, this.pointsPerWeight) };
    return this.cache.ring.lookup(ctx.hashKey);
  }
}

export function createBalancer(spec: LoadBalancer): Balancer {
  switch (spec.algorithm) {
    case "ewma":
      return new EwmaBalancer();
    case "least-request":
      return new LeastRequestBalancer();
    case "round-robin":
      return new RoundRobinBalancer();
    case "random":
      return new RandomBalancer();
    case "ring-hash":
      return new RingHashBalancer(spec.pointsPerWeight);
  }
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
