import { describe, expect, it } from "vitest";
import { doc, issuesOf } from "../testing/fixtures.ts";
import { TrafficPolicySchema } from "./traffic-policy.schema.ts";

const policy = (extra: Record<string, unknown> = {}) => doc("TrafficPolicy", { targetRef: { name: "checkout" }, ...extra });

const everything = policy({
  targetRef: { name: "checkout", namespace: "shop", version: "v2", port: 8080 },
  loadBalancer: { algorithm: "RING_HASH", ringHash: { hashOn: { type: "Cookie", cookie: { name: "session", ttl: "1h" } } }, locality: { failover: [{ from: "eu-west", to: ["eu-central", "us-east"] }] } },
  timeouts: { connect: "1s", idle: "5m", request: "30s" },
  retries: { attempts: 2, retryOn: ["gateway-error", "connect-failure"], budget: { percent: 20, minRetriesPerSecond: 5 } },
  circuitBreaker: { maxConnections: 100 },
  outlierDetection: { consecutiveGatewayErrors: 3, successRate: { stdevFactor: 1.5 } },
  connectionPool: { maxRequestsPerConnection: 100, idleTimeout: "30s", http2MaxConcurrentStreams: 250 },
  rateLimits: {
    local: [
      { name: "per-caller", key: { type: "SourceIdentity", identities: ["spiffe://weft.local/ns/shop/*"] }, tokenBucket: { requests: 100, per: "1s", burst: 200 } },
      { name: "per-tenant", key: { type: "Header", header: "x-tenant" }, tokenBucket: { requests: 10, per: "1s" } },
      { name: "checkout-route", key: { type: "Route", route: { name: "checkout", rule: "api" } }, tokenBucket: { requests: 5, per: "100ms" } },
    ],
    global: { redis: { address: "redis.infra:6379" }, failOpen: false, limits: [{ name: "all", key: { type: "Route" }, requests: 1000, unit: "minute" }] },
  },
  healthChecks: [
    { type: "HTTP", http: { path: "/healthz", expectedStatuses: [200, 204] }, interval: "5s", timeout: "1s" },
    { type: "TCP" },
    { type: "GRPC", grpc: { service: "checkout.v1.Checkout" } },
  ],
});

describe("TrafficPolicy schema", () => {
  it.each([
    ["just a target", policy()],
    ["every section", everything],
  ])("accepts %s", (_name, value) => {
    expect(issuesOf(value)).toEqual([]);
  });

  it("applies EWMA and Envoy's circuit-breaker defaults", () => {
    const parsed = TrafficPolicySchema.parse(policy({ loadBalancer: {}, circuitBreaker: {}, outlierDetection: {} }));
    expect(parsed.spec.loadBalancer?.algorithm).toBe("EWMA");
    expect(parsed.spec.circuitBreaker).toEqual({ maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });
    expect(parsed.spec.outlierDetection).toMatchObject({ consecutive5xx: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 10 });
  });

  it.each<[string, unknown, string[]]>([
    ["no target", doc("TrafficPolicy", {}), ["spec.targetRef: required"]],
    ["RING_HASH without a hash key", policy({ loadBalancer: { algorithm: "RING_HASH" } }), ["spec.loadBalancer.ringHash: required"]],
    ["a hash key without RING_HASH", policy({ loadBalancer: { ringHash: { hashOn: { type: "SourceIP" } } } }), ["spec.loadBalancer.ringHash: unused_setting"]],
    ["slow start with RING_HASH", policy({ loadBalancer: { algorithm: "RING_HASH", ringHash: { hashOn: { type: "Header", header: "x-user" } }, slowStart: { window: "30s" } } }), ["spec.loadBalancer.slowStart: unused_setting"]],
    ["failover to the same cluster", policy({ loadBalancer: { locality: { failover: [{ from: "eu", to: ["us", "eu"] }] } } }), ["spec.loadBalancer.locality.failover[0].to[1]: invalid_failover"]],
    ["a cluster twice in a failover order", policy({ loadBalancer: { locality: { failover: [{ from: "east", to: ["west", "central", "west"] }] } } }), ["spec.loadBalancer.locality.failover[0].to[2]: duplicate"]],
    ["two failover entries from one cluster", policy({ loadBalancer: { locality: { failover: [{ from: "east", to: ["west"] }, { from: "east", to: ["central"] }] } } }), ["spec.loadBalancer.locality.failover[1].from: duplicate"]],
    ["distribution weights not summing to 100", policy({ loadBalancer: { locality: { distribute: [{ from: "east", to: { east: 80, west: 30 } }] } } }), ["spec.loadBalancer.locality.distribute[0].to: invalid_weight_sum"]],
    ["a distribution weight of 0", policy({ loadBalancer: { locality: { distribute: [{ from: "east", to: { east: 100, west: 0 } }] } } }), ["spec.loadBalancer.locality.distribute[0].to.west: too_small"]],
    ["a distribution to nowhere", policy({ loadBalancer: { locality: { distribute: [{ from: "east", to: {} }] } } }), ["spec.loadBalancer.locality.distribute[0].to: required"]],
    ["a malformed locality", policy({ loadBalancer: { locality: { distribute: [{ from: "East/", to: { east: 100 } }] } } }), ["spec.loadBalancer.locality.distribute[0].from: invalid_format"]],
    ["two distributions for one locality", policy({ loadBalancer: { locality: { distribute: [{ from: "east/e1", to: { east: 100 } }, { from: "east/e1", to: { west: 100 } }] } } }), ["spec.loadBalancer.locality.distribute[1].from: duplicate"]],
    [
      "failover and distribute together",
      policy({ loadBalancer: { locality: { failover: [{ from: "east", to: ["west"] }], distribute: [{ from: "east", to: { east: 100 } }] } } }),
      ["spec.loadBalancer.locality.distribute: conflicting_settings"],
    ],
    ["a failover order with locality off", policy({ loadBalancer: { locality: { enabled: false, failover: [{ from: "east", to: ["west"] }] } } }), ["spec.loadBalancer.locality.failover: unused_setting"]],
    ["a negative circuit breaker limit", policy({ circuitBreaker: { maxConnections: 0, maxRetries: -1 } }), ["spec.circuitBreaker.maxConnections: too_small", "spec.circuitBreaker.maxRetries: too_small"]],
    ["an ejection percentage above 100", policy({ outlierDetection: { maxEjectionPercent: 150 } }), ["spec.outlierDetection.maxEjectionPercent: too_big"]],
    ["max ejection below base", policy({ outlierDetection: { baseEjectionTime: "1m", maxEjectionTime: "30s" } }), ["spec.outlierDetection.maxEjectionTime: invalid_ejection_time"]],
    ["a retry budget above 100%", policy({ retries: { attempts: 1, budget: { percent: 101 } } }), ["spec.retries.budget.percent: too_big"]],
    ["zero retry attempts", policy({ retries: { attempts: 0 } }), ["spec.retries.attempts: too_small"]],
    [
      "a token bucket refilled too often, with a burst below the rate",
      policy({ rateLimits: { local: [{ name: "a", key: { type: "Route" }, tokenBucket: { requests: 10, per: "10ms", burst: 5 } }] } }),
      ["spec.rateLimits.local[0].tokenBucket.per: duration_out_of_range", "spec.rateLimits.local[0].tokenBucket.burst: invalid_burst"],
    ],
    ["a bad identity pattern", policy({ rateLimits: { local: [{ name: "a", key: { type: "SourceIdentity", identities: ["frontend"] }, tokenBucket: { requests: 1, per: "1s" } }] } }), ["spec.rateLimits.local[0].key.identities[0]: invalid_identity"]],
    [
      "duplicate limit names across local and global",
      policy({
        rateLimits: {
          local: [{ name: "a", key: { type: "Route" }, tokenBucket: { requests: 1, per: "1s" } }],
          global: { redis: { address: "redis:6379" }, limits: [{ name: "a", key: { type: "Route" }, requests: 1, unit: "second" }] },
        },
      }),
      ["spec.rateLimits.global.limits[0].name: duplicate"],
    ],
    ["a Redis address without a port", policy({ rateLimits: { global: { redis: { address: "redis" }, limits: [{ name: "a", key: { type: "Route" }, requests: 1, unit: "second" }] } } }), ["spec.rateLimits.global.redis.address: invalid_format"]],
    ["a health check timeout above its interval", policy({ healthChecks: [{ type: "TCP", interval: "1s", timeout: "2s" }] }), ["spec.healthChecks[0].timeout: invalid_timeout"]],
    ["an HTTP health check without a path", policy({ healthChecks: [{ type: "HTTP", http: {} }] }), ["spec.healthChecks[0].http.path: required"]],
    ["a zero threshold", policy({ healthChecks: [{ type: "GRPC", unhealthyThreshold: 0 }] }), ["spec.healthChecks[0].unhealthyThreshold: too_small"]],
  ])("rejects %s", (_name, value, expected) => {
    expect(issuesOf(value)).toEqual(expected);
  });
});
