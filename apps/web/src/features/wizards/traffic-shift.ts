// The traffic-shifting wizard's model: version weights that always sum to
// 100, the checks the form makes before the review step, and the ordinary
// HTTPRoute it produces (an existing route's catch-all rule is rewritten,
// everything else of it kept), so the result is reopened like any route.

export interface VersionWeight {
  version: string;
  weight: number;
}

/**
 * Sets `versions[index]` to `value` (0–100) and shares the rest among the
 * others in proportion to their current weights (evenly when they are all
 * 0), in whole percents: the result always sums to 100.
 */
export function setWeight(versions: readonly VersionWeight[], index: number, value: number): VersionWeight[] {
  const v = Math.min(100, Math.max(0, Math.round(value)));
  if (versions.length === 1) return [{ version: versions[0]!.version, weight: 100 }];
  const others = versions.map((w, i) => ({ ...w, i })).filter((w) => w.i !== index);
  const rest = 100 - v;
  const base = others.reduce((n, w) => n + w.weight, 0);
  const raw = others.map((w) => (base > 0 ? (w.weight / base) * rest : rest / others.length));
  const floors = raw.map(Math.floor);
  let left = rest - floors.reduce((n, f) => n + f, 0);
  // Largest remainders first get the leftover percents.
  const order = raw.map((r, k) => ({ k, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac || a.k - b.k);
  for (const { k } of order) {
    if (left <= 0) break;
    floors[k]!++;
    left--;
  }
  const out = versions.map((w) => ({ ...w }));
  out[index]!.weight = v;
  others.forEach((w, k) => (out[w.i]!.weight = floors[k]!));
  return out;
}

/** Problems the form shows before the dry run, keyed by the field path the resource would have. */
export function shiftProblems(versions: readonly VersionWeight[], rule = 0): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const sum = versions.reduce((n, v) => n + v.weight, 0);
  if (sum !== 100) problems.push({ path: `spec.rules[${rule}].backendRefs`, message: `weights must sum to 100 (now ${sum})` });
  const seen = new Map<string, number>();
  versions.forEach((v, i) => {
    if (!v.version) problems.push({ path: `spec.rules[${rule}].backendRefs[${i}].version`, message: "choose a version" });
    const first = seen.get(v.version);
    if (first !== undefined) problems.push({ path: `spec.rules[${rule}].backendRefs[${i}].version`, message: `duplicate backend: version ${v.version} is already backendRefs[${first}]` });
    else seen.set(v.version, i);
    if (!Number.isInteger(v.weight) || v.weight < 0 || v.weight > 100) problems.push({ path: `spec.rules[${rule}].backendRefs[${i}].weight`, message: "must be a whole number from 0 to 100" });
  });
  return problems;
}

/** The parts of an HTTPRoute document the wizards read and rewrite; everything else is carried along. */
export interface RouteDoc {
  apiVersion: string;
  kind: "HTTPRoute";
  metadata: { name: string; namespace: string; [k: string]: unknown };
  spec: { parentRefs?: unknown[]; rules?: { matches?: unknown[]; backendRefs?: unknown[]; [k: string]: unknown }[]; [k: string]: unknown };
}

/** The rule a shift rewrites: the first without matches (the catch-all), or a new one at the end. */
export function catchAllIndex(route: RouteDoc | null): number {
  const rules = route?.spec.rules ?? [];
  const i = rules.findIndex((r) => !r.matches || r.matches.length === 0);
  return i >= 0 ? i : rules.length;
}

/** The weights a route gives `service`'s versions in its catch-all rule (for reopening the wizard). */
export function weightsOf(route: RouteDoc | null, service: string): VersionWeight[] {
  const rule = route?.spec.rules?.[catchAllIndex(route)];
  const refs = (rule?.backendRefs ?? []) as { kind?: string; name?: string; version?: string; weight?: number }[];
  return refs.filter((b) => (b.kind ?? "Service") === "Service" && b.name === service && b.version).map((b) => ({ version: b.version as string, weight: b.weight ?? 1 }));
}

/** The HTTPRoute with the shift applied: the existing route's catch-all rule gets the new backends; without a route, a new one named after the service. */
export function shiftedRoute(existing: RouteDoc | null, service: { namespace: string; name: string }, versions: readonly VersionWeight[]): RouteDoc {
  const backendRefs = versions.map((v) => ({ kind: "Service", name: service.name, version: v.version, weight: v.weight }));
  if (!existing) {
    return { apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name: service.name, namespace: service.namespace }, spec: { parentRefs: [{ kind: "Service", name: service.name }], rules: [{ backendRefs }] } };
  }
  const rules = [...(existing.spec.rules ?? [])];
  const i = catchAllIndex(existing);
  rules[i] = { ...(rules[i] ?? {}), backendRefs };
  return { ...existing, spec: { ...existing.spec, rules } };
}
