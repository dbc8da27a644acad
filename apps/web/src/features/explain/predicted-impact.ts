// Predicted impact of a traffic shift, from what actually happened: the
// workloads that called the route's service in the last hour (telemetry
// rollups), their request rates, and how the route's weights before and
// after the edit would have split those requests between versions.

export interface EndLike {
  cluster: string;
  namespace: string;
  service: string;
  version: string;
}

export interface EdgeRateLike {
  source: EndLike;
  destination: EndLike;
  /** Requests per second over the time the data covers. */
  rate: number;
}

interface RouteLike {
  metadata?: { namespace?: string };
  spec?: { parentRefs?: { kind?: string; name?: string; namespace?: string }[]; rules?: { matches?: unknown[]; backendRefs?: { kind?: string; name?: string; namespace?: string; version?: string; weight?: number }[] }[] };
}

export interface CallerImpact {
  /** `cluster/namespace/service` of the calling workload ("outside the mesh" for unknown sources). */
  caller: string;
  /** Its requests per minute to the service, last hour. */
  perMinute: number;
  /** Requests per minute that would go to another version than before, by the version they would move to. */
  moves: { to: string; perMinute: number }[];
}

export interface ShiftImpact {
  service: { namespace: string; name: string };
  /** Index of the rule the prediction uses (the catch-all rule: the one most requests match). */
  rule: number;
  before: Record<string, number>;
  after: Record<string, number>;
  callers: CallerImpact[];
}

/** Each version's share (0–1) of the rule's requests to `service`; "" is "any version". */
function shares(route: RouteLike, rule: number, service: string): Record<string, number> {
  const refs = (route.spec?.rules?.[rule]?.backendRefs ?? []).filter((b) => (b.kind ?? "Service") === "Service" && b.name === service);
  const total = refs.reduce((n, b) => n + Math.max(0, b.weight ?? 1), 0);
  const out: Record<string, number> = {};
  if (total <= 0) return out;
  for (const b of refs) out[b.version ?? ""] = (out[b.version ?? ""] ?? 0) + Math.max(0, b.weight ?? 1) / total;
  return out;
}

/** The rule most requests match: the first without matches (a catch-all), else the first. */
function catchAllRule(route: RouteLike): number {
  const i = (route.spec?.rules ?? []).findIndex((r) => !r.matches || r.matches.length === 0);
  return i >= 0 ? i : 0;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * What a weight change would have done to the last hour's requests: per
 * workload that actually called the service, its rate and the requests per
 * minute that would move to each version gaining share. Null for a route
 * without a service parent or when nothing changes.
 */
export function predictShift(before: RouteLike, after: RouteLike, edges: readonly EdgeRateLike[]): ShiftImpact | null {
  const parent = after.spec?.parentRefs?.find((p) => (p.kind ?? "Service") === "Service" && p.name);
  if (!parent?.name) return null;
  const namespace = parent.namespace ?? after.metadata?.namespace ?? "default";
  const rule = catchAllRule(after);
  const was = shares(before, catchAllRule(before), parent.name);
  const will = shares(after, rule, parent.name);
  const gains = Object.entries(will).flatMap(([version, share]) => (share - (was[version] ?? 0) > 1e-9 ? [{ version, gain: share - (was[version] ?? 0) }] : []));
  const byCaller = new Map<string, number>();
  for (const e of edges) {
    if (e.destination.namespace !== namespace || e.destination.service !== parent.name) continue;
    const caller = e.source.cluster && e.source.service !== "unknown" ? `${e.source.cluster}/${e.source.namespace}/${e.source.service}` : "outside the mesh";
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + e.rate * 60);
  }
  const callers = [...byCaller.entries()]
    .map(([caller, perMinute]) => ({ caller, perMinute: round(perMinute), moves: gains.map((g) => ({ to: g.version || "any version", perMinute: round(perMinute * g.gain) })) }))
    .sort((a, b) => b.perMinute - a.perMinute);
  return { service: { namespace, name: parent.name }, rule, before: was, after: will, callers };
}

/** "≈ 9.8 req/min from east/frontend would move to v2" */
export function moveSentence(caller: CallerImpact, move: { to: string; perMinute: number }): string {
  return `≈ ${move.perMinute} req/min from ${caller.caller} would move to ${move.to}`;
}
