import type { ConfigAck } from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import { invalid } from "../../errors.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { ControlPlaneMetrics } from "../control-plane/control-plane-metrics.ts";
import type { ClustersService } from "../clusters/clusters.service.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";

/** Agents' acknowledgements: the cluster's sync state, and rejections in the audit log. */
export class ConfigSyncService {
  constructor(
    private readonly clusters: ClustersService,
    private readonly audit: AuditService,
    private readonly mesh: () => Promise<MeshInfo>,
    /** The manager's metrics, with when a config version was written (for write-to-ack latency). */
    private readonly metrics?: { metrics: Pick<ControlPlaneMetrics, "acknowledged">; versionWrittenAt: (version: bigint) => Promise<Date | null> },
  ) {}

  async acknowledge(agent: AgentPrincipal, ack: ConfigAck): Promise<{ recorded: true; syncState: string }> {
    const version = BigInt(ack.configVersion);
    const mesh = await this.mesh();
    if (version > mesh.configVersion) throw invalid(`config version ${version} does not exist yet (the mesh is at ${mesh.configVersion})`, "configVersion");
    const rejections = ack.proxies.filter((p) => p.status === "rejected").map((p) => ({ proxy: p.proxy, reason: p.reason ?? ack.reason ?? "" }));
    const proxies = { total: ack.proxies.length, applied: ack.proxies.length - rejections.length, rejected: rejections.length };
    const applied = ack.status === "applied";
    const syncState = await this.clusters.recordAck(agent, { version, applied, reason: ack.reason ?? null, proxies, rejections: rejections.slice(0, 100), diagnostics: ack.diagnostics }, mesh.configVersion);
    if (this.metrics) this.metrics.metrics.acknowledged(agent.cluster, { version, applied, proxies }, applied ? await this.metrics.versionWrittenAt(version) : null);
    if (!applied)
      await this.audit.record({
        actor: agent,
        action: "config.rejected",
        outcome: "FAILURE",
        target: `Cluster/${agent.cluster}`,
        cluster: agent.cluster,
        details: { configVersion: ack.configVersion, reason: ack.reason, rejectedProxies: proxies.rejected, proxies: rejections.slice(0, 20) },
      });
    return { recorded: true, syncState };
  }
}
