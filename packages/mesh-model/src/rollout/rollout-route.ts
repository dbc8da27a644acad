// What a rollout writes: the service's HTTPRoute for the traffic each wave
// has now. Pure. Every rule of the route that sends to the service (all
// versions, the stable or the canary subset) is rewritten; rules sending
// elsewhere stay as they are. Per traffic mode:
//   stable    the service's share goes to the stable version;
//   weighted  it is split stable/canary (with session affinity: a rule for
//             requests carrying the canary's cookie first, and the canary
//             backend sets that cookie);
//   mirror    it stays on stable and a RequestMirror copies it to the canary;
//   match     requests matching the strategy's matches (A/B headers,
//             cookies) go to the canary, the rest to stable;
//   canary    it goes to the canary.
// Waves in different states get rules scoped to their clusters (rule
// `clusters`), followed by an unscoped stable copy for every other cluster —
// including clusters that join during the rollout. A finished run writes the
// clean form: one version, no copies, no zero weights.
import { HTTPRouteSchema, type BackendRef, type HTTPRoute, type HTTPRouteInput, type HeaderMatch, type RouteMatch, type RouteRule } from "../http-route/http-route.schema.ts";
import { durationMs } from "../common/duration.ts";
import { namespaceOf } from "../resource/resource.schema.ts";
import type { Rollout, RolloutMatch } from "./rollout.schema.ts";
import { type RolloutPlan, sameTraffic, type Traffic } from "./rollout-steps.ts";

/** Routes carry at most this many rules; a rollout whose route would need more cannot run. */
export const MAX_ROUTE_RULES = 64;
const MAX_MATCHES = 64;

export interface RouteTransformInput {
  rollout: Rollout;
  /** The route as it was before the rollout first wrote it; null when the service had none. */
  base: HTTPRoute | null;
  plan: RolloutPlan;
  /** Each wave's traffic. */
  traffic: readonly Traffic[];
  /** The run ended: write the clean form. */
  final: boolean;
  /** The session-affinity cookie's value for this run (any cookie-safe text). */
  affinityToken: string;
}

/** A route the transformation cannot produce (too many rules or matches), with the path that overflowed. */
export class RolloutRouteError extends Error {
  override readonly name = "RolloutRouteError";
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** The name of the HTTPRoute a rollout drives when it names none and the service has none: the service's name. */
export function defaultRouteName(rollout: Rollout): string {
  return rollout.spec.route?.name ?? rollout.spec.service.name;
}

/** The route a service without one behaves like: every request to every version. */
export function defaultRoute(rollout: Rollout, name = defaultRouteName(rollout)): HTTPRoute {
  const namespace = namespaceOf(rollout) ?? "default";
  const service = rollout.spec.service.name;
  return HTTPRouteSchema.parse({
    apiVersion: "weft.io/v1alpha1",
    kind: "HTTPRoute",
    metadata: { name, namespace },
    spec: { parentRefs: [{ kind: "Service", name: service }], rules: [{ backendRefs: [{ kind: "Service", name: service }] }] },
  } satisfies HTTPRouteInput);
}

/** Whether `route` is attached to the rollout's service (a producer route: same namespace). */
export function attachedToService(route: HTTPRoute, rollout: Rollout): boolean {
  const namespace = namespaceOf(rollout);
  return namespaceOf(route) === namespace && route.spec.parentRefs.some((p) => p.kind === "Service" && p.name === rollout.spec.service.name && (p.namespace ?? namespace) === namespace);
}

/**
 * The route a rollout drives among the namespace's routes: the one it names,
 * else the only route attached to the service. `base` is null when that
 * route does not exist yet (the rollout creates it); `ambiguous` lists the
 * candidates when the service has several and the rollout names none.
 */
export function ownedRoute(rollout: Rollout, routes: readonly HTTPRoute[]): { name: string; base: HTTPRoute | null; ambiguous: string[] } {
  const namespace = namespaceOf(rollout);
  const inNamespace = routes.filter((r) => namespaceOf(r) === namespace);
  if (rollout.spec.route) {
    const name = rollout.spec.route.name;
    return { name, base: inNamespace.find((r) => r.metadata.name === name) ?? null, ambiguous: [] };
  }
  const attached = inNamespace.filter((r) => attachedToService(r, rollout));
  if (attached.length === 1) return { name: (attached[0] as HTTPRoute).metadata.name, base: attached[0] as HTTPRoute, ambiguous: [] };
  return { name: defaultRouteName(rollout), base: attached.find((r) => r.metadata.name === defaultRouteName(rollout)) ?? null, ambiguous: attached.map((r) => r.metadata.name).sort() };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A header match on Cookie that holds when the request carries every cookie with its value (in any order). */
export function cookieHeaderMatch(cookies: readonly { name: string; value: string }[]): HeaderMatch {
  const one = (c: { name: string; value: string }) => `(?:.*;\\s*)?${escapeRegex(c.name)}=${escapeRegex(c.value)}(?:;.*)?`;
  const value = cookies.length === 1 ? one(cookies[0] as { name: string; value: string }) : `${cookies.map((c) => `(?=${one(c)}$)`).join("")}.*`;
  return { type: "RegularExpression", name: "cookie", value };
}

function toHeaderMatches(match: RolloutMatch): HeaderMatch[] {
  return [...(match.headers ?? []), ...(match.cookies?.length ? [cookieHeaderMatch(match.cookies)] : [])];
}

/** A route match narrowed by a rollout match: every condition of both (the rollout's win on the same header or parameter). */
function narrow(base: RouteMatch, extra: { headers: HeaderMatch[]; queryParams: NonNullable<RouteMatch["queryParams"]> }): RouteMatch {
  const headers = [...(base.headers ?? []).filter((h) => !extra.headers.some((e) => e.name.toLowerCase() === h.name.toLowerCase())), ...extra.headers];
  const queryParams = [...(base.queryParams ?? []).filter((q) => !extra.queryParams.some((e) => e.name === q.name)), ...extra.queryParams];
  return { ...base, ...(headers.length ? { headers } : {}), ...(queryParams.length ? { queryParams } : {}) };
}

function isTarget(ref: BackendRef, rollout: Rollout, routeNamespace: string): boolean {
  const { spec } = rollout;
  return (
    ref.kind === "Service" &&
    ref.name === spec.service.name &&
    (ref.namespace ?? routeNamespace) === (namespaceOf(rollout) ?? "default") &&
    (ref.version === undefined || ref.version === spec.stable.version || ref.version === spec.canary.version)
  );
}

/** True when the rule sends (some of) its requests to the rolled-out service. */
function targetsService(rule: RouteRule, rollout: Rollout, routeNamespace: string): boolean {
  return (rule.backendRefs ?? []).some((b) => isTarget(b, rollout, routeNamespace));
}

interface Split {
  stable: number;
  canary: number;
  /** Keep a zero-weight backend (while a run is active, so the diff shows both versions). */
  keepZero: boolean;
  canaryFilters?: BackendRef["filters"];
}

/**
 * The rule's backends with the service's share split between the versions:
 * the service's backends (whatever their weights) become one stable and one
 * canary backend; other backends keep their share of the rule.
 */
function splitBackends(rule: RouteRule, rollout: Rollout, routeNamespace: string, split: Split): BackendRef[] {
  const refs = rule.backendRefs ?? [];
  const targets = refs.filter((b) => isTarget(b, rollout, routeNamespace));
  const others = refs.filter((b) => !isTarget(b, rollout, routeNamespace));
  const first = targets[0] as BackendRef;
  const targetWeight = targets.reduce((a, b) => a + b.weight, 0);
  const total = targetWeight + others.reduce((a, b) => a + b.weight, 0);
  // Alone in the rule, the versions' weights are the percentages themselves; beside other backends, shares of 10,000.
  const scale = (weight: number, percent: number) => (others.length === 0 ? percent : total === 0 ? 0 : Math.round((weight / total) * percent * 100));
  const version = (v: string, percent: number, filters?: BackendRef["filters"]): BackendRef[] =>
    percent > 0 || split.keepZero
      ? [{ kind: "Service", name: first.name, ...(first.namespace !== undefined ? { namespace: first.namespace } : {}), ...(first.port !== undefined ? { port: first.port } : {}), version: v, weight: scale(targetWeight, percent), ...(filters?.length ? { filters } : first.filters?.length ? { filters: first.filters } : {}) }]
      : [];
  return [
    ...version(rollout.spec.stable.version, split.stable),
    ...version(rollout.spec.canary.version, split.canary, split.canaryFilters),
    ...others.map((b) => ({ ...b, weight: scale(b.weight, 100) })),
  ];
}

function suffixed(name: string | undefined, suffix: string): string | undefined {
  if (name === undefined) return undefined;
  return `${name.slice(0, 62 - suffix.length).replace(/-+$/, "")}-${suffix}`;
}

function withName<T extends RouteRule>(rule: T, name: string | undefined): T {
  const { name: _old, ...rest } = rule;
  return (name === undefined ? rest : { name, ...rest }) as T;
}

function scoped(rule: RouteRule, clusters: string[] | undefined): RouteRule {
  const { clusters: _old, ...rest } = rule;
  return clusters ? { ...rest, clusters } : rest;
}

/** The rule's requests narrowed by every rollout match (each route match × each rollout match). */
function narrowedMatches(rule: RouteRule, matches: readonly RolloutMatch[], path: string): RouteMatch[] {
  const bases = rule.matches?.length ? rule.matches : [{}];
  const out = bases.flatMap((m) => matches.map((a) => narrow(m, { headers: toHeaderMatches(a), queryParams: a.queryParams ?? [] })));
  if (out.length > MAX_MATCHES) throw new RolloutRouteError(`the rule's ${bases.length} matches × the rollout's ${matches.length} matches make ${out.length}, more than a rule may have (${MAX_MATCHES})`, path);
  return out;
}

function affinityCookie(rollout: Rollout, token: string): { match: HeaderMatch; setCookie: string } | null {
  const affinity = rollout.spec.sessionAffinity;
  if (!affinity) return null;
  const seconds = Math.round(durationMs(affinity.maxAge) / 1000);
  return {
    match: cookieHeaderMatch([{ name: affinity.cookieName, value: token }]),
    setCookie: `${affinity.cookieName}=${token}; Max-Age=${seconds}; Path=/; HttpOnly; SameSite=Lax`,
  };
}

/** The copies of one rule for one traffic mode, in precedence order (matches first). */
function copiesFor(rule: RouteRule, traffic: Traffic, clusters: string[] | undefined, name: string | undefined, input: RouteTransformInput, routeNamespace: string, path: string): RouteRule[] {
  const { rollout } = input;
  const keepZero = !input.final;
  const backends = (split: Split) => splitBackends(rule, rollout, routeNamespace, split);
  const main = (split: Split, extra: Partial<RouteRule> = {}) => scoped(withName({ ...rule, ...extra, backendRefs: backends(split) }, name), clusters);
  switch (traffic.mode) {
    case "stable":
      return [main({ stable: 100, canary: 0, keepZero: false })];
    case "canary":
      return [main({ stable: 0, canary: 100, keepZero })];
    case "mirror": {
      const mirror = { type: "RequestMirror" as const, requestMirror: { backendRef: { kind: "Service" as const, name: rollout.spec.service.name, version: rollout.spec.canary.version }, percent: traffic.percent } };
      if ((rule.filters?.length ?? 0) >= 16) throw new RolloutRouteError("the rule already has 16 filters: a mirror cannot be added", `${path}.filters`);
      return [main({ stable: 100, canary: 0, keepZero }, { filters: [...(rule.filters ?? []), mirror] })];
    }
    case "match": {
      const matches = rollout.spec.strategy.abTesting?.matches ?? rollout.spec.strategy.blueGreen?.previewMatches ?? [];
      const toCanary = scoped(withName({ ...rule, matches: narrowedMatches(rule, matches, path), backendRefs: backends({ stable: 0, canary: 100, keepZero: false }) }, suffixed(name, "canary")), clusters);
      return [toCanary, main({ stable: 100, canary: 0, keepZero })];
    }
    case "weighted": {
      const cookie = affinityCookie(rollout, input.affinityToken);
      if (!cookie || traffic.weight === 0) return [main({ stable: 100 - traffic.weight, canary: traffic.weight, keepZero })];
      const sticky = scoped(
        withName({ ...rule, matches: narrowedMatches(rule, [{ headers: [cookie.match] }], path), backendRefs: backends({ stable: 0, canary: 100, keepZero: false }) }, suffixed(name, "sticky")),
        clusters,
      );
      const setCookie = [{ type: "ResponseHeaderModifier" as const, responseHeaderModifier: { add: [{ name: "Set-Cookie", value: cookie.setCookie }] } }];
      return [sticky, main({ stable: 100 - traffic.weight, canary: traffic.weight, keepZero, canaryFilters: setCookie })];
    }
  }
}

/** Waves grouped by equal traffic (stable ones left out: the unscoped fallback serves them), in wave order. */
function trafficGroups(plan: RolloutPlan, traffic: readonly Traffic[]): { traffic: Traffic; clusters: string[]; wave: number }[] {
  const groups: { traffic: Traffic; clusters: string[]; wave: number }[] = [];
  plan.waves.forEach((wave, w) => {
    const t = traffic[w] ?? { mode: "stable" };
    if (t.mode === "stable") return;
    const group = groups.find((g) => sameTraffic(g.traffic, t));
    if (group) group.clusters.push(...(wave.clusters ?? []));
    else groups.push({ traffic: t, clusters: [...(wave.clusters ?? [])], wave: w });
  });
  return groups;
}

/**
 * The route for the current traffic. Throws {@link RolloutRouteError} when
 * the result would exceed a route's limits (the controller records it and
 * the rollout cannot proceed).
 */
export function rolloutRoute(input: RouteTransformInput): HTTPRoute {
  const { rollout, plan, traffic } = input;
  const base = input.base ?? defaultRoute(rollout);
  const routeNamespace = namespaceOf(base) ?? "default";
  const everywhere = plan.waves.length === 1 && plan.waves[0]?.clusters === null;
  const allSame = traffic.every((t) => sameTraffic(t, traffic[0] ?? { mode: "stable" }));
  const rules: RouteRule[] = [];
  base.spec.rules.forEach((rule, r) => {
    const path = `spec.rules[${r}]`;
    if (!targetsService(rule, rollout, routeNamespace)) {
      rules.push(rule);
      return;
    }
    if (everywhere || (input.final && allSame)) {
      rules.push(...copiesFor(rule, traffic[0] ?? { mode: "stable" }, rule.clusters, rule.name, input, routeNamespace, path));
      return;
    }
    for (const group of trafficGroups(plan, traffic)) {
      const clusters = rule.clusters ? group.clusters.filter((c) => rule.clusters?.includes(c)) : group.clusters;
      if (clusters.length === 0) continue;
      rules.push(...copiesFor(rule, group.traffic, clusters, suffixed(rule.name, `w${group.wave + 1}`), input, routeNamespace, path));
    }
    rules.push(...copiesFor(rule, { mode: "stable" }, rule.clusters, rule.name, input, routeNamespace, path));
  });
  if (rules.length > MAX_ROUTE_RULES)
    throw new RolloutRouteError(`the route would need ${rules.length} rules for this step, more than a route may have (${MAX_ROUTE_RULES}); give the rollout a route with fewer rules`, "spec.rules");
  return HTTPRouteSchema.parse({ ...base, spec: { ...base.spec, rules } });
}

/** Whether the route has a rule sending to the rolled-out service (otherwise the rollout moves nothing). */
export function routeSendsToService(route: HTTPRoute, rollout: Rollout): boolean {
  const namespace = namespaceOf(route) ?? "default";
  return route.spec.rules.some((rule) => targetsService(rule, rollout, namespace));
}
