// Rate limiting on a listener: local token buckets (this proxy alone) and
// global fixed windows shared by every proxy of a destination, counted in
// Redis by one atomic Lua script. Over a limit: 429 with Retry-After and the
// IETF draft RateLimit-Limit / -Remaining / -Reset headers, flag RL. Redis
// slower than `timeoutMs` or unreachable: allowed (failOpen) or 429 RLSE.
// Nothing here runs for a listener without limits.
import type { OutgoingHttpHeaders } from "node:http";
import type { Redis } from "ioredis";
import { matchesIdentityPattern } from "@weft/mesh-model/authorization";
import { buildRouteTable, type GlobalRateLimit, type LocalRateLimit, type ProxyConfig, type RateLimitKey, type RateLimits } from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import type { RequestHead } from "../core/request-head.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import { ResponseFlag, type ResponseFlagCode } from "../core/response-flags.ts";

export type RateLimitDecision = { kind: "allowed" } | { kind: "limited"; flag: ResponseFlagCode; headers: OutgoingHttpHeaders };

const ALLOWED: RateLimitDecision = { kind: "allowed" };
/** Buckets kept per local limit; the oldest are dropped beyond it (a dropped bucket is simply full again). */
const MAX_BUCKETS = 65_536;

/** The bucket key of a request under `key`; undefined when the limit does not apply to it. */
type KeyOf = (req: RequestHead, outcome: Outcome) => string | undefined;

const NO_QUERY = { get: (): string | null => null };

function keyFunction(key: RateLimitKey): KeyOf {
  switch (key.type) {
    case "all":
      return () => "";
    case "header": {
      const name = key.name.toLowerCase();
      return (req) => {
        const v = req.headers[name];
        return v === undefined ? undefined : Array.isArray(v) ? v.join(",") : v;
      };
    }
    case "source-identity": {
      const patterns = key.identities;
      return (_req, outcome) => {
        const id = outcome.peer?.spiffeId ?? "unknown";
        if (patterns && !patterns.some((p) => matchesIdentityPattern(p, id))) return undefined;
        return id;
      };
    }
    case "route": {
      // The rules ordered by Gateway API precedence, so a request counts against the rule that would serve it.
      const table = buildRouteTable([
        {
          name: "rate-limit",
          namespace: "weft",
          creationTimestamp: "1970-01-01T00:00:00Z",
          rules: key.rules.map((r) => ({ name: r.id, matches: r.matches, filters: [], backendRefs: [], timeouts: { grpcTimeoutOffsetMs: 5 } })),
        },
      ]);
      return (req) => {
        const url = req.url ?? "/";
        const q = url.indexOf("?");
        const path = q === -1 ? url : url.slice(0, q);
        const selection = table.match({ method: req.method ?? "GET", path, headers: req.headers, query: q === -1 ? NO_QUERY : new URLSearchParams(url.slice(q + 1)) });
        return selection?.rule.name;
      };
    }
  }
}

function limitedHeaders(limit: number, remaining: number, resetMs: number): OutgoingHttpHeaders {
  const reset = Math.max(1, Math.ceil(resetMs / 1000));
  return { "retry-after": String(reset), "ratelimit-limit": String(limit), "ratelimit-remaining": String(Math.max(0, remaining)), "ratelimit-reset": String(reset) };
}

/** One local limit's buckets; kept across config versions while the limit is unchanged. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(readonly spec: LocalRateLimit) {
    this.perMs = spec.tokensPerFill / spec.fillIntervalMs;
  }

  /** Takes a token for `key`; undefined when allowed, else the 429 headers. */
  take(key: string, now: number): OutgoingHttpHeaders | undefined {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKETS) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.spec.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.spec.burst, b.tokens + (now - b.at) * this.perMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return limitedHeaders(this.spec.burst, 0, (1 - b.tokens) / this.perMs);
  }
}

/** INCR a fixed window (created with its expiry on the first request); returns [count, ms left]. */
const WINDOW_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
`;

/**
 * A client still making its first connection (a config just applied) is
 * waited for, within the caller's timeout; one that lost Redis is not: it
 * fails at once and failOpen decides.
 */
function whenReady(client: Redis): Promise<void> {
  if (client.status !== "connecting" && client.status !== "connect" && client.status !== "wait") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      client.off("ready", done);
      client.off("error", done);
      client.off("end", done);
      resolve();
    };
    client.once("ready", done);
    client.once("error", done);
    client.once("end", done);
  });
}

type WindowClient = Redis & { weftWindow(key: string, windowMs: number): Promise<[number, number]> };

/** ioredis, loaded with the first global limit: a proxy without one never pays for it. */
let redisModule: { Redis: typeof Redis } | undefined;

/** Redis clients by address, TLS and timeout, reused across config versions. */
export class RedisClients {
  private readonly clients = new Map<string, WindowClient>();

  /** Loads ioredis if a config needs it; `get` may be called once this resolved. */
  static async load(): Promise<void> {
    redisModule ??= await import("ioredis");
  }

  get(address: string, tls: boolean, timeoutMs: number): WindowClient {
    const id = JSON.stringify([address, tls, timeoutMs]);
    let c = this.clients.get(id);
    if (!c) {
      if (!redisModule) throw new Error("ioredis is not loaded: RedisClients.load() first");
      const colon = address.lastIndexOf(":");
      const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
      const client = new redisModule.Redis({
        host,
        port: Number(address.slice(colon + 1)),
        ...(tls ? { tls: {} } : {}),
        // Never queue on the request path: offline means an immediate error, and failOpen decides.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: timeoutMs,
        connectTimeout: Math.max(1000, timeoutMs),
        retryStrategy: (times: number) => Math.min(100 * times, 2000),
        lazyConnect: false,
      });
      client.on("error", () => undefined);
      client.defineCommand("weftWindow", { numberOfKeys: 1, lua: WINDOW_SCRIPT });
      c = client as WindowClient;
      this.clients.set(id, c);
    }
    return c;
  }

  /** Disconnects clients not in `keep`. */
  retain(keep: ReadonlySet<WindowClient>): void {
    for (const [id, c] of this.clients) {
      if (keep.has(c)) continue;
      c.disconnect();
      this.clients.delete(id);
    }
  }

  close(): void {
    this.retain(new Set());
  }
}

interface GlobalLimit {
  spec: GlobalRateLimit;
  keyOf: KeyOf;
}

/** The limits of one listener, as a function of the request. */
export type ListenerRateLimiter = (req: RequestHead, outcome: Outcome) => RateLimitDecision | Promise<RateLimitDecision>;

/** Builds each listener's limiter for a config, reusing buckets and Redis clients. */
export class RateLimitRegistry {
  private buckets = new Map<string, TokenBuckets>();
  private readonly redis = new RedisClients();

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly now: () => number,
  ) {}

  build(config: ProxyConfig): Map<string, ListenerRateLimiter> {
    const out = new Map<string, ListenerRateLimiter>();
    const rl = config.rateLimits;
    const clients = new Set<WindowClient>();
    const buckets = new Map<string, TokenBuckets>();
    if (rl) {
      const listeners = config.listeners.filter((l) => (rl.listeners ? rl.listeners.includes(l.name) : l.kind === "inbound"));
      for (const l of listeners) {
        const local = rl.local.map((spec) => {
          const id = JSON.stringify([l.name, spec]);
          const b = this.buckets.get(id) ?? new TokenBuckets(spec);
          buckets.set(id, b);
          return { b, keyOf: keyFunction(spec.key) };
        });
        let global: { settings: NonNullable<RateLimits["global"]>; client: WindowClient; limits: GlobalLimit[] } | undefined;
        if (rl.global) {
          const client = this.redis.get(rl.global.redis.address, rl.global.redis.tls, rl.global.timeoutMs);
          clients.add(client);
          global = { settings: rl.global, client, limits: rl.global.limits.map((spec) => ({ spec, keyOf: keyFunction(spec.key) })) };
        }
        out.set(l.name, this.limiter(l.name, local, global));
      }
    }
    this.buckets = buckets;
    this.redis.retain(clients);
    return out;
  }

  private limiter(
    listener: string,
    local: { b: TokenBuckets; keyOf: KeyOf }[],
    global: { settings: NonNullable<RateLimits["global"]>; client: WindowClient; limits: GlobalLimit[] } | undefined,
  ): ListenerRateLimiter {
    return (req, outcome) => {
      const now = this.now();
      for (const { b, keyOf } of local) {
        const key = keyOf(req, outcome);
        if (key === undefined) continue;
        const headers = b.take(key, now);
        if (headers) {
          this.metrics.rateLimited.inc({ listener, limit: b.spec.name, decision: "over_limit" });
          return { kind: "limited", flag: ResponseFlag.RateLimited, headers };
        }
      }
      if (!global) return ALLOWED;
      const checks: Promise<RateLimitDecision>[] = [];
      for (const g of global.limits) {
        const key = g.keyOf(req, outcome);
        if (key !== undefined) checks.push(this.checkGlobal(listener, global.settings, global.client, g.spec, key));
      }
      if (checks.length === 0) return ALLOWED;
      return Promise.all(checks).then((ds) => ds.find((d) => d.kind === "limited") ?? ALLOWED);
    };
  }

  private async checkGlobal(listener: string, settings: NonNullable<RateLimits["global"]>, client: WindowClient, spec: GlobalRateLimit, key: string): Promise<RateLimitDecision> {
    const redisKey = `${settings.keyPrefix}${settings.domain}:${spec.name}:${key}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      // commandTimeout bounds a slow server; this bounds everything else (DNS, a stuck connection).
      const [count, ttl] = await Promise.race([
        whenReady(client).then(() => client.weftWindow(redisKey, spec.windowMs)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("redis timeout")), settings.timeoutMs);
        }),
      ]);
      if (count <= spec.requests) return ALLOWED;
      this.metrics.rateLimited.inc({ listener, limit: spec.name, decision: "over_limit" });
      return { kind: "limited", flag: ResponseFlag.RateLimited, headers: limitedHeaders(spec.requests, spec.requests - count, ttl) };
    } catch {
      if (settings.failOpen) {
        this.metrics.rateLimited.inc({ listener, limit: spec.name, decision: "redis_error_allowed" });
        return ALLOWED;
      }
      this.metrics.rateLimited.inc({ listener, limit: spec.name, decision: "redis_error_denied" });
      return { kind: "limited", flag: ResponseFlag.RateLimitServiceError, headers: { "retry-after": "1" } };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.redis.close();
  }
}
