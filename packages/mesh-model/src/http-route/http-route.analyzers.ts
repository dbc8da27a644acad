import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { formatPath } from "../common/issues.ts";
import { namespaceOf, refOf } from "../resource/resource.schema.ts";
import type { HTTPRoute, RouteMatch, RouteRule } from "./http-route.schema.ts";
import { compareMatchPrecedence, matchCovers, matchesEqual } from "./route-match-cover.ts";

interface BackendLike {
  kind: "Service" | "ExternalService";
  name: string;
  namespace?: string | undefined;
  port?: number | undefined;
  version?: string | undefined;
}

function describeRef(ref: BackendLike, namespace: string): string {
  return `${ref.kind === "ExternalService" ? "ExternalService " : "service "}${ref.namespace ?? namespace}/${ref.name}`;
}

function checkBackend(index: SnapshotIndex, route: HTTPRoute, ref: BackendLike, path: readonly PropertyKey[]): Finding[] {
  const namespace = namespaceOf(route) ?? "";
  const known = index.service(ref.kind, ref.namespace ?? namespace, ref.name);
  const about = refOf(route);
  if (!known) return [finding("WEFT1001", about, formatPath([...path, "name"]), `${describeRef(ref, namespace)} is not known: no cluster has discovered it${ref.kind === "Service" ? " and no ExternalService of that name exists (set kind: ExternalService to route to one)" : ""}`)];
  const out: Finding[] = [];
  if (ref.version !== undefined && !known.versions.has(ref.version)) {
    const versions = [...known.versions].sort();
    out.push(finding("WEFT1002", about, formatPath([...path, "version"]), `${describeRef(ref, namespace)} has no version "${ref.version}" (known: ${versions.length ? versions.join(", ") : "none"})`));
  }
  if (ref.port !== undefined && known.ports.size > 0 && !known.ports.has(ref.port))
    out.push(finding("WEFT1003", about, formatPath([...path, "port"]), `${describeRef(ref, namespace)} does not expose port ${ref.port} (ports: ${[...known.ports].sort((a, b) => a - b).join(", ")})`));
  return out;
}

/** WEFT1001–WEFT1004: every service, version, port and Gateway an HTTPRoute names exists. */
export function analyzeRouteReferences(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  const gateways = index.ofKind("Gateway");
  for (const route of index.ofKind("HTTPRoute")) {
    const namespace = namespaceOf(route) ?? "";
    route.spec.parentRefs.forEach((parent, p) => {
      const path = ["spec", "parentRefs", p];
      if (parent.kind === "Service") {
        out.push(...checkBackend(index, route, { kind: "Service", name: parent.name, namespace: parent.namespace, port: parent.port }, path));
        return;
      }
      const gwNamespace = parent.namespace ?? namespace;
      const gateway = gateways.find((g) => g.metadata.name === parent.name && namespaceOf(g) === gwNamespace);
      if (!gateway) {
        out.push(finding("WEFT1004", refOf(route), formatPath([...path, "name"]), `Gateway ${gwNamespace}/${parent.name} does not exist`));
        return;
      }
      const listeners = gateway.spec.listeners.filter((l) => (parent.sectionName === undefined || l.name === parent.sectionName) && (parent.port === undefined || l.port === parent.port));
      if (listeners.length === 0)
        out.push(
          finding(
            "WEFT1004",
            refOf(route),
            formatPath([...path, parent.sectionName !== undefined ? "sectionName" : "port"]),
            `Gateway ${gwNamespace}/${parent.name} has no listener${parent.sectionName !== undefined ? ` named "${parent.sectionName}"` : ""}${parent.port !== undefined ? ` on port ${parent.port}` : ""}`,
            [refOf(gateway)],
          ),
        );
    });
    route.spec.rules.forEach((rule, r) => {
      rule.backendRefs?.forEach((ref, b) => out.push(...checkBackend(index, route, ref, ["spec", "rules", r, "backendRefs", b])));
      rule.filters?.forEach((filter, f) => {
        if (filter.type === "RequestMirror")
          out.push(...checkBackend(index, route, filter.requestMirror.backendRef, ["spec", "rules", r, "filters", f, "requestMirror", "backendRef"]));
      });
    });
  }
  return out;
}

function answersItself(rule: RouteRule): boolean {
  return (rule.filters ?? []).some(
    (f) => f.type === "RequestRedirect" || (f.type === "FaultInjection" && f.faultInjection.abort?.percentage === 100 && !f.faultInjection.headers?.length),
  );
}

/** WEFT1101, WEFT1102: every rule sends its requests somewhere. */
export function analyzeRouteBackends(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const route of index.ofKind("HTTPRoute")) {
    route.spec.rules.forEach((rule, r) => {
      if (answersItself(rule)) return;
      const backends = rule.backendRefs ?? [];
      const label = rule.name ? `rule "${rule.name}"` : `rule ${r}`;
      if (backends.length === 0)
        out.push(finding("WEFT1101", refOf(route), formatPath(["spec", "rules", r, "backendRefs"]), `${label} has no backendRefs: matching requests get a 500`));
      else if (backends.every((b) => b.weight === 0))
        out.push(finding("WEFT1102", refOf(route), formatPath(["spec", "rules", r, "backendRefs"]), `every backend of ${label} has weight 0: matching requests get a 500`));
    });
  }
  return out;
}

// A rule without matches matches every request.
const MATCH_ALL: RouteMatch = {};

/**
 * Whether a rule applied in clusters `a` is present wherever one applied in
 * `b` is (omitted: every cluster). A rule scoped to `east` cannot hide a
 * rule that also serves `west`: that is how rollouts keep a stable fallback.
 */
function clustersCover(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined) return true;
  if (b === undefined) return false;
  return b.every((c) => a.includes(c));
}

/**
 * WEFT1201–WEFT1203: matches that can never select their rule. The data plane
 * picks, among the matching matches of a route, the one with the highest
 * Gateway API precedence (`compareMatchPrecedence`). A match is dead when a
 * match of another rule covers it (`matchCovers`: every request it matches)
 * and takes precedence over it — identical matches in a later rule, a
 * catch-all regular expression ahead of PathPrefix rules, a regex header match
 * tying with an exact one. Only rules of the same route are compared; routes
 * attached to the same parent are not.
 */
export function analyzeRouteShadowing(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const route of index.ofKind("HTTPRoute")) {
    const about = refOf(route);
    const all = route.spec.rules.flatMap((rule, r) => {
      const explicit = Boolean(rule.matches?.length);
      return (rule.matches?.length ? rule.matches : [MATCH_ALL]).map((match, m) => ({
        match,
        clusters: rule.clusters,
        at: { rule: r, match: m },
        path: explicit ? formatPath(["spec", "rules", r, "matches", m]) : formatPath(["spec", "rules", r]),
      }));
    });
    route.spec.rules.forEach((rule, r) => {
      const own = all.filter((e) => e.at.rule === r);
      const winners = own.map((e) =>
        all.find((o) => o.at.rule !== r && clustersCover(o.clusters, e.clusters) && matchCovers(o.match, e.match) && compareMatchPrecedence(o.match, o.at, e.match, e.at) < 0),
      );
      const label = rule.name ? `rule "${rule.name}"` : `rule ${r}`;
      if (winners.every((w) => w !== undefined)) {
        const by = [...new Set(winners.map((w) => w?.path))].join(", ");
        out.push(finding("WEFT1202", about, formatPath(["spec", "rules", r]), `${label} can never match: ${by} take${winners.length === 1 ? "s" : ""} all its requests`));
        return;
      }
      own.forEach((entry, i) => {
        const winner = winners[i];
        const twin = all.find((o) => clustersCover(o.clusters, entry.clusters) && compareMatchPrecedence(o.match, o.at, entry.match, entry.at) < 0 && matchesEqual(o.match, entry.match));
        if (twin) out.push(finding("WEFT1201", about, entry.path, `identical to ${twin.path}`));
        else if (winner) out.push(finding("WEFT1203", about, entry.path, `never selects ${label}: ${winner.path} matches every request it matches and takes precedence`));
      });
    });
  }
  return out;
}
