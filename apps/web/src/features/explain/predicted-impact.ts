// Predicted impact of a traffic shift or a fault, from what actually happened: the
// workloads that called the route's service in the last hour (telemetry
// rollups), their request rates, and how the route's weights before and
// after the edit would have split those requests between versions, and the
// share of them a fault would have failed or delayed.

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
  const parent = parentService(after);
  if (!parent) return null;
  const namespace = parent.namespace;
  const rule = catchAllRule(after);
  const was = shares(before, catchAllRule(before), parent.name);
  const will = shares(after, rule, parent.name);
  const gains = Object.entries(will).flatMap(([version, share]) => (share - (was[version] ?? 0) > 1e-9 ? [{ version, gain: share - (was[version] ?? 0) }] : []));
  const callers = callersOf(edges, { namespace, name: parent.name }).map(({ caller, perMinute }) => ({
    caller,
    perMinute: round(perMinute),
    moves: gains.map((g) => ({ to: g.version || "any version", perMinute: round(perMinute * g.gain) })),
  }));
  return { service: { namespace, name: parent.name }, rule, before: was, after: will, callers };
}

/** The service a route is attached to (its first Service parent), or null. */
function parentService(route: RouteLike): { namespace: string; name: string } | null {
  const parent = route.spec?.parentRefs?.find((p) => (p.kind ?? "Service") === "Service" && p.name);
  if (!parent?.name) return null;
  return { namespace: parent.namespace ?? route.metadata?.namespace ?? "default", name: parent.name };
}

/**
 * The workloads that called `service` in the window, with their requests per
 * minute (unrounded), busiest first; sources outside the mesh are one caller.
 */
export function callersOf(edges: readonly EdgeRateLike[], service: { namespace: string; name: string }): { caller: string; perMinute: number }[] {
  const byCaller = new Map<string, number>();
  for (const e of edges) {
    if (e.destination.namespace !== service.namespace || e.destination.service !== service.name) continue;
    const caller = e.source.cluster && e.source.service !== "unknown" ? `${e.source.cluster}/${e.source.namespace}/${e.source.service}` : "outside the mesh";
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + e.rate * 60);
  }
  return [...byCaller.entries()].map(([caller, perMinute]) => ({ caller, perMinute })).sort((a, b) => b.perMinute - a.perMinute);
}

interface FaultLike {
  delay?: { fixedDelay?: string; percentage?: number };
  abort?: { httpStatus?: number; grpcStatus?: string; percentage?: number };
  headers?: { name: string; value: string; type?: string }[];
}

export interface FaultImpact {
  service: { namespace: string; name: string };
  /** Index of the rule whose fault the prediction uses (the catch-all rule). */
  rule: number;
  delay: { percent: number; fixedDelay: string } | null;
  abort: { percent: number; status: string } | null;
  /** The header matches a request needs to be faulted (empty: every request). */
  headers: string[];
  /** Per caller: its req/min, and the req/min that would have failed / been delayed. */
  callers: { caller: string; perMinute: number; failed: number; delayed: number }[];
}

/**
 * What the fault of a route's catch-all rule would have done to the last
 * hour's requests: per workload that actually called the service, its rate
 * and the requests per minute that would have been aborted or delayed (the
 * fault's percentages of that rate). Null when the route has no service
 * parent or that rule no FaultInjection filter. A header-scoped fault only
 * hits requests carrying the header, which the rollups do not record: the
 * numbers are then an upper bound, and `headers` says so.
 */
export function predictFault(route: RouteLike, edges: readonly EdgeRateLike[]): FaultImpact | null {
  const service = parentService(route);
  if (!service) return null;
  const rule = catchAllRule(route);
  const filters = (route.spec?.rules?.[rule] as { filters?: { type?: string; faultInjection?: FaultLike }[] } | undefined)?.filters ?? [];
  const fault = filters.find((f) => f.type === "FaultInjection")?.faultInjection;
  if (!fault || (!fault.delay && !fault.abort)) return null;
  const abortShare = fault.abort ? (fault.abort.percentage ?? 100) / 100 : 0;
  const delayShare = fault.delay ? (fault.delay.percentage ?? 100) / 100 : 0;
  return {
    service,
    rule,
    delay: fault.delay ? { percent: delayShare * 100, fixedDelay: fault.delay.fixedDelay ?? "" } : null,
    abort: fault.abort ? { percent: abortShare * 100, status: fault.abort.grpcStatus !== undefined ? `gRPC ${fault.abort.grpcStatus}` : `HTTP ${fault.abort.httpStatus ?? ""}` } : null,
    headers: (fault.headers ?? []).map((h) => `${h.name} ${h.type === "RegularExpression" ? "~" : "="} ${h.value}`),
    callers: callersOf(edges, service).map(({ caller, perMinute }) => ({ caller, perMinute: round(perMinute), failed: round(perMinute * abortShare), delayed: round(perMinute * delayShare) })),
  };
}

/**
 * "≈ 10 % of the last hour's requests from east/shop/frontend (≈ 9.8 req/min)
 * would have failed with HTTP 503", and the same for the delay; "at most"
 * when the fault is header-scoped.
 */
export function faultSentences(impact: FaultImpact, caller: FaultImpact["callers"][number]): string[] {
  const bound = impact.headers.length > 0 ? "at most " : "";
  const out: string[] = [];
  if (impact.abort) out.push(`${bound}≈ ${round(impact.abort.percent)} % of the last hour's requests from ${caller.caller} (≈ ${caller.failed} req/min) would have failed with ${impact.abort.status}`);
  if (impact.delay) out.push(`${bound}≈ ${round(impact.delay.percent)} % of the last hour's requests from ${caller.caller} (≈ ${caller.delayed} req/min) would have been delayed by ${impact.delay.fixedDelay}`);
  return out;
}

/** "≈ 9.8 req/min from east/frontend would move to v2" */
export function moveSentence(caller: CallerImpact, move: { to: string; perMinute: number }): string {
  return `≈ ${move.perMinute} req/min from ${caller.caller} would move to ${move.to}`;
}
