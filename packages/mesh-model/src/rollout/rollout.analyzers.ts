import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { namespaceOf, refOf } from "../resource/resource.schema.ts";
import { attachedToService, ownedRoute, routeSendsToService } from "./rollout-route.ts";
import type { Rollout } from "./rollout.schema.ts";

/** The clusters a rollout names (spec.clusters and its waves), each with its path. */
function namedClusters(rollout: Rollout): { cluster: string; path: string }[] {
  const out = (rollout.spec.clusters ?? []).map((cluster, i) => ({ cluster, path: `spec.clusters[${i}]` }));
  rollout.spec.waves?.groups.forEach((g, w) => g.clusters.forEach((cluster, c) => out.push({ cluster, path: `spec.waves.groups[${w}].clusters[${c}]` })));
  return out;
}

/** WEFT5001–WEFT5003: the service, its versions and the clusters a rollout names exist. */
export function analyzeRolloutTargets(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const rollout of index.ofKind("Rollout")) {
    const namespace = namespaceOf(rollout) ?? "";
    const name = rollout.spec.service.name;
    const about = refOf(rollout);
    const known = index.service("Service", namespace, name);
    if (!known) {
      out.push(finding("WEFT5001", about, "spec.service.name", `service ${namespace}/${name} has not been discovered in any cluster`));
      continue;
    }
    const versions = [...known.versions].sort();
    for (const side of ["stable", "canary"] as const) {
      const version = rollout.spec[side].version;
      if (!known.versions.has(version)) out.push(finding("WEFT5002", about, `spec.${side}.version`, `service ${namespace}/${name} has no version "${version}" (known: ${versions.length ? versions.join(", ") : "none"})`));
    }
    const entries = index.snapshot.services.filter((s) => s.namespace === namespace && s.name === name && s.cluster !== undefined);
    if (entries.length === 0) continue; // discovery without clusters: nothing to check against
    const clusters = new Set(entries.map((s) => s.cluster as string));
    for (const { cluster, path } of namedClusters(rollout))
      if (!clusters.has(cluster)) out.push(finding("WEFT5003", about, path, `service ${namespace}/${name} does not run in cluster "${cluster}" (it runs in ${[...clusters].sort().join(", ")})`));
  }
  return out;
}

/** WEFT5004: two Rollouts drive the same service (their steps would fight over its route). */
export function analyzeRolloutOverlap(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  const first = new Map<string, Rollout>();
  for (const rollout of index.ofKind("Rollout")) {
    const key = `${namespaceOf(rollout)}/${rollout.spec.service.name}`;
    const earlier = first.get(key);
    if (earlier)
      out.push(finding("WEFT5004", refOf(rollout), "spec.service.name", `service ${key} already has a Rollout (${earlier.metadata.name}); one service is rolled out by one Rollout at a time`, [refOf(earlier)]));
    else first.set(key, rollout);
  }
  return out;
}

/** The services that have a ServiceLevelObjective, as `namespace/service`. */
function sloServices(index: SnapshotIndex): Set<string> {
  return new Set(index.ofKind("ServiceLevelObjective").map((slo) => `${slo.spec.service.namespace ?? namespaceOf(slo)}/${slo.spec.service.name}`));
}

/** WEFT5005: an error-budget gate with no SLO to read. */
export function analyzeRolloutErrorBudget(index: SnapshotIndex): Finding[] {
  const slos = sloServices(index);
  return index
    .ofKind("Rollout")
    .filter((r) => r.spec.analysis.errorBudgetGate && !slos.has(`${namespaceOf(r)}/${r.spec.service.name}`))
    .map((r) =>
      finding("WEFT5005", refOf(r), "spec.analysis.errorBudgetGate", `service ${namespaceOf(r)}/${r.spec.service.name} has no ServiceLevelObjective: the error-budget gate has no SLO to read and will not block promotion`),
    );
}

/** WEFT5006–WEFT5008: the route the rollout drives is unambiguous, sends to the service, and no consumer route bypasses it. */
export function analyzeRolloutRoutes(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  const routes = index.ofKind("HTTPRoute");
  for (const rollout of index.ofKind("Rollout")) {
    const about = refOf(rollout);
    const namespace = namespaceOf(rollout);
    const owned = ownedRoute(rollout, routes);
    if (owned.ambiguous.length > 1) {
      out.push(finding("WEFT5006", about, "spec.route", `service ${namespace}/${rollout.spec.service.name} has ${owned.ambiguous.length} HTTPRoutes (${owned.ambiguous.join(", ")}); name the one to drive in spec.route.name`));
      continue;
    }
    if (owned.base && !routeSendsToService(owned.base, rollout))
      out.push(finding("WEFT5007", about, "spec.route", `HTTPRoute ${namespace}/${owned.name} sends no requests to ${rollout.spec.service.name}: the rollout would move nothing`, [refOf(owned.base)]));
    for (const route of routes) {
      if (namespaceOf(route) === namespace) continue;
      const consumer = route.spec.parentRefs.some((p) => p.kind === "Service" && p.name === rollout.spec.service.name && p.namespace === namespace);
      if (consumer && !attachedToService(route, rollout))
        out.push(finding("WEFT5008", about, "spec.service.name", `HTTPRoute ${namespaceOf(route)}/${route.metadata.name} replaces the service's routes for callers in ${namespaceOf(route)}: their traffic does not follow the rollout`, [refOf(route)]));
    }
  }
  return out;
}
