// TrafficPolicy rate limits are enforced by the destination's own proxies:
// the ones that apply to this workload's service go on its inbound listeners,
// with a `<namespace>/<service>` domain so every replica shares a global budget.
import type { TrafficPolicy } from "../traffic-policy/traffic-policy.schema.ts";
import type { ProxyConfig } from "../proxy-config/proxy-config.schema.ts";
import type { RateLimitKey } from "../proxy-config/proxy-limits.schema.ts";
import type { Listener } from "../proxy-config/proxy-listeners.schema.ts";
import type { CompileContext } from "./compile-context.ts";
import type { RouteCompiler } from "./compile-routes.ts";
import { proxyMs } from "./policy-mapping.ts";
import { mapMatch, matchAll } from "./route-mapping.ts";
import { serviceKey } from "./service-catalog.ts";

type SourceRateLimitKey = NonNullable<NonNullable<TrafficPolicy["spec"]["rateLimits"]>["local"]>[number]["key"];

const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The rate limits of the workload's inbound side, or undefined when no policy sets any (or it has no inbound listener). */
export function compileRateLimits(ctx: CompileContext, routes: RouteCompiler, listeners: readonly Listener[]): ProxyConfig["rateLimits"] | undefined {
  const { workload } = ctx.input;
  const app = workload.appPorts[0];
  if (!app || !listeners.some((l) => l.kind === "inbound")) return undefined;
  const policy = ctx.policies.resolve({ service: workload.service, namespace: workload.namespace, port: app.servicePort ?? app.port, ...(workload.version !== undefined ? { version: workload.version } : {}) });
  const rl = policy.rateLimits;
  if (!rl) return undefined;
  const at = (path: string) => ({ sink: ctx.sink, resource: rl.key, path: `spec.rateLimits.${path}` });
  const local: NonNullable<ProxyConfig["rateLimits"]>["local"] = [];
  (rl.spec.local ?? []).forEach((l, i) => {
    const key = rateLimitKey(ctx, routes, l.key, `local[${i}].key`, rl.key);
    if (!key) return;
    local.push({ name: l.name, key, tokensPerFill: l.tokenBucket.requests, fillIntervalMs: proxyMs(l.tokenBucket.per, at(`local[${i}].tokenBucket.per`)) ?? 1000, burst: l.tokenBucket.burst ?? l.tokenBucket.requests });
  });
  let global: NonNullable<ProxyConfig["rateLimits"]>["global"];
  const g = rl.spec.global;
  if (g) {
    const limits = g.limits.flatMap((l, i) => {
      const key = rateLimitKey(ctx, routes, l.key, `global.limits[${i}].key`, rl.key);
      return key ? [{ name: l.name, key, requests: l.requests, windowMs: UNIT_MS[l.unit] }] : [];
    });
    if (limits.length > 0)
      global = {
        redis: { address: g.redis.address, tls: g.redis.tls },
        domain: `${workload.namespace}/${workload.service}`,
        keyPrefix: "weft:rl:",
        failOpen: g.failOpen,
        timeoutMs: proxyMs(g.timeout, at("global.timeout")) ?? 20,
        limits,
      };
  }
  if (local.length === 0 && !global) return undefined;
  return { local, ...(global ? { global } : {}) };
}

/** A rate-limit key in proxy terms; a Route key becomes the matches of the routes (rules) it names. */
function rateLimitKey(ctx: CompileContext, routes: RouteCompiler, key: SourceRateLimitKey, path: string, resource: string): RateLimitKey | undefined {
  switch (key.type) {
    case "Header":
      return { type: "header", name: key.header };
    case "SourceIdentity":
      return { type: "source-identity", ...(key.identities ? { identities: [...key.identities] } : {}) };
    case "Route": {
      const { workload } = ctx.input;
      const self = ctx.services.get(serviceKey(workload.service, workload.namespace));
      const attached = self?.primary ? routes.routesFor(self, self.primary).filter((r) => r.namespace === workload.namespace) : [];
      const rules = attached.flatMap((r) =>
        key.route && r.resource.metadata.name !== key.route.name
          ? []
          : r.resource.spec.rules.flatMap((rule, i) =>
              key.route?.rule !== undefined && rule.name !== key.route.rule
                ? []
                : [{ id: `${r.namespace}/${r.resource.metadata.name}/${rule.name ?? `rule-${i}`}`, matches: (rule.matches?.length ?? 0) > 0 ? (rule.matches ?? []).map(mapMatch) : [matchAll()] }],
            ),
      );
      if (rules.length === 0) {
        ctx.sink.add({
          severity: "warning",
          code: "unknown_route",
          resource,
          path: `spec.rateLimits.${path}.route`,
          message: key.route ? `no HTTPRoute ${key.route.name}${key.route.rule ? ` rule ${key.route.rule}` : ""} is attached to ${workload.namespace}/${workload.service}; the limit is not applied` : `no HTTPRoute is attached to ${workload.namespace}/${workload.service}; the limit is not applied`,
        });
        return undefined;
      }
      return { type: "route", rules };
    }
  }
}
