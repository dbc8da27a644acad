// The rows `weft stat` and `weft top` print: the manager's telemetry.stats
// groups, named the way each kind is addressed, filtered by name.
import type { ManagerClient } from "./client.ts";
import { UsageError } from "./context.ts";
import { formatMs, formatPercent, formatRps } from "./output/format-numbers.ts";
import type { Column } from "./output/render.ts";

export type StatsResult = Awaited<ReturnType<ManagerClient["telemetry"]["stats"]["query"]>>;
export type TrafficGroup = StatsResult["groups"][number];
export type StatKind = StatsResult["groupBy"];

const KIND_WORDS: Record<string, StatKind> = {
  service: "service",
  services: "service",
  svc: "service",
  workload: "workload",
  workloads: "workload",
  wl: "workload",
  cluster: "cluster",
  clusters: "cluster",
  edge: "edge",
  edges: "edge",
};

/** What `weft stat <kind>` accepts, for completion. */
export const STAT_KINDS: readonly string[] = ["services", "workloads", "clusters", "edges"];

export function resolveStatKind(text: string): StatKind {
  const kind = KIND_WORDS[text.toLowerCase()];
  if (!kind) throw new UsageError(`unknown kind "${text}"; expected one of ${STAT_KINDS.join(", ")}`);
  return kind;
}

type End = TrafficGroup["destination"];
const workloadName = (e: End) => `${e.cluster}/${e.namespace}/${e.service}${e.version ? `@${e.version}` : ""}`;
const endName = (e: End) => (e.cluster === "" && e.service === "unknown" ? "unknown" : workloadName(e));

/** The group's name: `namespace/service`, `cluster/namespace/service@version`, a cluster, or `caller → callee`. */
export function groupName(kind: StatKind, g: TrafficGroup): string {
  switch (kind) {
    case "service":
      return `${g.destination.namespace}/${g.destination.service}`;
    case "workload":
      return workloadName(g.destination);
    case "cluster":
      return g.destination.cluster;
    case "edge":
      return `${endName(g.source!)} → ${endName(g.destination)}`;
  }
}

/**
 * Keeps the groups `name` means: a service as `name` or `namespace/name`; a
 * workload by its service, `service@version` or full name; a cluster by name;
 * an edge by the service at either end.
 */
export function matchesName(kind: StatKind, g: TrafficGroup, name: string | undefined): boolean {
  if (!name) return true;
  const d = g.destination;
  switch (kind) {
    case "service":
      return name === d.service || name === `${d.namespace}/${d.service}`;
    case "workload":
      return [d.service, `${d.service}@${d.version}`, `${d.namespace}/${d.service}`, workloadName(d)].includes(name);
    case "cluster":
      return name === d.cluster;
    case "edge":
      return [d.service, `${d.namespace}/${d.service}`, g.source?.service, `${g.source?.namespace}/${g.source?.service}`].includes(name);
  }
}

/** linkerd viz stat's columns, with the mTLS share in place of its TCP connections. */
export function trafficColumns(kind: StatKind): Column<TrafficGroup>[] {
  return [
    { header: kind === "edge" ? "EDGE" : kind.toUpperCase(), value: (g) => groupName(kind, g) },
    { header: "SUCCESS", value: (g) => formatPercent(g.successPercent) },
    { header: "RPS", value: (g) => formatRps(g.rate) },
    { header: "P50", value: (g) => formatMs(g.p50) },
    { header: "P95", value: (g) => formatMs(g.p95) },
    { header: "P99", value: (g) => formatMs(g.p99) },
    { header: "MTLS", value: (g) => formatPercent(g.mtlsPercent) },
    { header: "REQUESTS", value: (g) => String(g.requests), wide: true },
    { header: "ERRORS", value: (g) => String(g.errors), wide: true },
    { header: "CLASSES", value: (g) => Object.entries(g.byClass).map(([k, v]) => `${k}=${v}`).join(",") || "-", wide: true },
  ];
}
