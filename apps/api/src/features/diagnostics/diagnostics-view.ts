// The compile diagnostics of every cluster as people read them: one row per
// finding and cluster, with whether it is for the mesh's current config, the
// most serious first. Pure: the service reads, this decides what to show.
import type { AckDiagnostic } from "@weft/mesh-model";
import type { ClusterDiagnostics } from "../clusters/clusters.repository.ts";

export type DiagnosticSeverity = AckDiagnostic["severity"];

const RANK: Record<DiagnosticSeverity, number> = { error: 0, warning: 1, info: 2 };

/** One finding in one cluster. */
export interface DiagnosticRow extends AckDiagnostic {
  cluster: string;
  /** The config version the agent compiled it for. */
  configVersion: bigint | null;
  reportedAt: Date | null;
}

/** Where each cluster's diagnostics come from: a cluster behind the mesh's config reports what it compiled last. */
export interface DiagnosticsSource {
  cluster: string;
  configVersion: bigint | null;
  reportedAt: Date | null;
  /** The agent acknowledged the mesh's current config version. */
  current: boolean;
}

export interface DiagnosticsFilter {
  cluster?: string | undefined;
  /** `namespace/name`: findings about this service (catalog findings name it). */
  service?: string | undefined;
  /** The least serious severity shown: `warning` shows errors and warnings. */
  severity?: DiagnosticSeverity | undefined;
  /** Only this code. */
  code?: string | undefined;
}

export interface DiagnosticsView {
  meshConfigVersion: bigint;
  sources: DiagnosticsSource[];
  diagnostics: DiagnosticRow[];
  /** How many rows of each severity the filter kept. */
  counts: Record<DiagnosticSeverity, number>;
}

/** The filtered rows of every cluster, errors first, then by cluster, code, service, resource, path. */
export function diagnosticsView(clusters: readonly ClusterDiagnostics[], meshConfigVersion: bigint, filter: DiagnosticsFilter = {}): DiagnosticsView {
  const chosen = clusters.filter((c) => filter.cluster === undefined || c.cluster === filter.cluster);
  const least = RANK[filter.severity ?? "info"];
  const rows = chosen.flatMap((c) =>
    c.diagnostics
      .filter((d) => RANK[d.severity] <= least && (filter.service === undefined || d.service === filter.service) && (filter.code === undefined || d.code === filter.code))
      .map((d): DiagnosticRow => ({ ...d, cluster: c.cluster, configVersion: c.configVersion, reportedAt: c.reportedAt })),
  );
  const text = (a: string | undefined, b: string | undefined) => ((a ?? "") < (b ?? "") ? -1 : (a ?? "") > (b ?? "") ? 1 : 0);
  rows.sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] || text(a.cluster, b.cluster) || text(a.code, b.code) || text(a.service, b.service) || text(a.resource, b.resource) || text(a.path, b.path) || text(a.message, b.message),
  );
  const counts: Record<DiagnosticSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const r of rows) counts[r.severity]++;
  return {
    meshConfigVersion,
    sources: chosen.map((c) => ({ cluster: c.cluster, configVersion: c.configVersion, reportedAt: c.reportedAt, current: c.configVersion !== null && c.configVersion >= meshConfigVersion })),
    diagnostics: rows,
    counts,
  };
}
