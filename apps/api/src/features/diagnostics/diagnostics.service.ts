// The compiler's diagnostics of the clusters' proxies, as their agents last
// acknowledged them (agent.ackConfig carries them with each config version).
import { notFound } from "../../errors.ts";
import type { ClustersRepository } from "../clusters/clusters.repository.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import { diagnosticsView, type DiagnosticsFilter, type DiagnosticsView } from "./diagnostics-view.ts";

export class DiagnosticsService {
  constructor(
    private readonly clusters: Pick<ClustersRepository, "compileDiagnostics">,
    private readonly mesh: () => Promise<MeshInfo>,
  ) {}

  /** Every cluster's findings (or one cluster's), filtered; an unknown cluster is refused by name. */
  async list(filter: DiagnosticsFilter): Promise<DiagnosticsView> {
    const mesh = await this.mesh();
    const all = await this.clusters.compileDiagnostics(mesh.id);
    if (filter.cluster !== undefined && !all.some((c) => c.cluster === filter.cluster)) throw notFound(`cluster ${filter.cluster}`, "cluster");
    return diagnosticsView(all, mesh.configVersion, filter);
  }
}
