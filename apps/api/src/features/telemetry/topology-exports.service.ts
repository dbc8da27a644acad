// The topology's edges with the export status of its services (issue 12): what
// the dashboard draws as exported services and cross-cluster edges.
import type { TelemetryService } from "./telemetry.service.ts";
import type { TopologyExportsRepository } from "./topology-exports.repository.ts";
import { exportMarks, type ServiceExportMark } from "./topology-exports.ts";

type EdgesQuery = Parameters<TelemetryService["edges"]>[0];
type EdgesResult = Awaited<ReturnType<TelemetryService["edges"]>>;

export class TopologyExportsService {
  constructor(
    private readonly telemetry: Pick<TelemetryService, "edges">,
    private readonly repo: Pick<TopologyExportsRepository, "services" | "multicluster">,
    private readonly meshId: () => Promise<string>,
  ) {}

  /** telemetry.edges plus one export mark per discovered service in the filter. */
  async edges(query: EdgesQuery): Promise<EdgesResult & { exports: ServiceExportMark[] }> {
    const meshId = await this.meshId();
    const [result, services, multicluster] = await Promise.all([this.telemetry.edges(query), this.repo.services(meshId), this.repo.multicluster(meshId)]);
    return { ...result, exports: exportMarks({ services, multicluster, edges: result.edges, cluster: query.cluster, namespace: query.namespace }) };
  }
}
