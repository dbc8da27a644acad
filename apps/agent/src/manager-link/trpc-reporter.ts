// DiscoveryReporter over the manager's agent API: full snapshots go to
// `agent.resyncDiscovery`, deltas to `agent.reportDiscovery`; a CONFLICT (the
// manager did not apply the delta's base) becomes ResyncRequiredError, which
// makes DiscoverySync send a full snapshot next.
import type { DiscoveryDelta, DiscoverySnapshot, EastWestGateway } from "@weft/mesh-model";
import type { ReportedEndpoint, ReportedService, CatalogSnapshot, ReportedWorkload } from "../discovery/catalog.schema.ts";
import type { CatalogDelta } from "../discovery/catalog.ts";
import { trpcCode, type ManagerClient } from "./manager-client.ts";
import { ResyncRequiredError, type DiscoveryReport, type DiscoveryReporter } from "./manager-seams.ts";

const service = (s: ReportedService) => ({ namespace: s.namespace, name: s.name, ports: s.ports.map((p) => ({ ...(p.name !== undefined && { name: p.name }), port: p.port, protocol: p.protocol })), labels: s.labels });
const workload = (w: ReportedWorkload) => ({
  namespace: w.namespace,
  name: w.name,
  serviceAccount: w.serviceAccount,
  ...(w.version !== undefined && { version: w.version }),
  ...(w.zone !== undefined && { zone: w.zone }),
  labels: w.labels,
});
const endpoint = (e: ReportedEndpoint) => ({
  namespace: e.namespace,
  service: e.service,
  address: e.address,
  port: e.port,
  protocol: e.protocol,
  ready: e.ready,
  ...(e.workload !== undefined && { workload: e.workload }),
  ...(e.version !== undefined && { version: e.version }),
  ...(e.zone !== undefined && { zone: e.zone }),
  ...(e.sidecar !== undefined && { sidecar: e.sidecar }),
});

/** The wire form of a full report. Pure. */
export function toDiscoverySnapshot(seq: number, snapshot: CatalogSnapshot, gateway: EastWestGateway | null = null): DiscoverySnapshot {
  return { seq, services: snapshot.services.map(service), workloads: snapshot.workloads.map(workload), endpoints: snapshot.endpoints.map(endpoint), gateway };
}

/** The wire form of a delta: removals by identity only. Pure. */
export function toDiscoveryDelta(seq: number, baseSeq: number, delta: CatalogDelta): DiscoveryDelta {
  return {
    seq,
    baseSeq,
    services: { added: delta.services.added.map(service), updated: delta.services.updated.map(service), removed: delta.services.removed.map((s) => ({ namespace: s.namespace, name: s.name })) },
    workloads: { added: delta.workloads.added.map(workload), updated: delta.workloads.updated.map(workload), removed: delta.workloads.removed.map((w) => ({ namespace: w.namespace, name: w.name })) },
    endpoints: {
      added: delta.endpoints.added.map(endpoint),
      updated: delta.endpoints.updated.map(endpoint),
      removed: delta.endpoints.removed.map((e) => ({ namespace: e.namespace, service: e.service, address: e.address, port: e.port })),
    },
  };
}

const sameGateway = (a: EastWestGateway | null, b: EastWestGateway | null) => a?.address === b?.address && a?.port === b?.port;

export class TrpcDiscoveryReporter implements DiscoveryReporter {
  /** The gateway the manager was last told about (undefined: not told yet). */
  #reportedGateway: EastWestGateway | null | undefined;

  /** `gateway`: this cluster's east-west gateway as it is now (universal file), reported with every full snapshot and with deltas when it changed. */
  constructor(
    private readonly client: ManagerClient,
    private readonly gateway: () => EastWestGateway | null = () => null,
  ) {}

  async report(report: DiscoveryReport): Promise<void> {
    const gateway = this.gateway();
    if (report.kind === "full") {
      await this.client.agent.resyncDiscovery.mutate(toDiscoverySnapshot(report.seq, report.snapshot, gateway));
      this.#reportedGateway = gateway;
      return;
    }
    const changed = this.#reportedGateway === undefined || !sameGateway(this.#reportedGateway, gateway);
    try {
      await this.client.agent.reportDiscovery.mutate({ ...toDiscoveryDelta(report.seq, report.baseSeq, report.delta), ...(changed && { gateway }) });
      this.#reportedGateway = gateway;
    } catch (err) {
      if (trpcCode(err) === "CONFLICT") throw new ResyncRequiredError(`the manager needs a full resync: ${(err as Error).message}`);
      throw err;
    }
  }
}
