import {
  discoveryKey,
  ValidationError,
  type ParsedDiscoveryDelta,
  type ParsedDiscoverySnapshot,
  type ReportedEndpoint,
  type ReportedService,
  type ReportedWorkload,
  type ValidationIssue,
} from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import { DomainError } from "../../errors.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import type { ClusterDiscovery, DiscoveryRepository, EndpointState, Protocol, ServiceEndpoint, ServiceState, WorkloadState } from "./discovery.repository.ts";

/** What a discovery report did. */
export interface DiscoveryResult {
  /** The report number now applied: the next delta's baseSeq. */
  seq: number;
  /** Whether the federated catalog changed (other clusters get a new config). */
  catalogChanged: boolean;
  counts: { services: number; workloads: number; endpoints: number };
}

const PROTOCOLS: Record<ReportedEndpoint["protocol"], Protocol> = { http: "HTTP", http2: "HTTP2", grpc: "GRPC", tcp: "TCP" };

function serviceState(s: ReportedService): ServiceState {
  return { namespace: s.namespace, name: s.name, ports: s.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: PROTOCOLS[p.protocol] })), labels: s.labels };
}

function workloadState(w: ReportedWorkload): WorkloadState {
  return { namespace: w.namespace, name: w.name, serviceAccount: w.serviceAccount, version: w.version ?? null, zone: w.zone ?? null, labels: w.labels };
}

/** An endpoint's row; version and zone fall back to its workload's. */
function endpointState(e: ReportedEndpoint, workloads: Map<string, WorkloadState>): EndpointState {
  const workload = e.workload !== undefined ? workloads.get(discoveryKey.workload({ namespace: e.namespace, name: e.workload })) : undefined;
  return {
    namespace: e.namespace,
    service: e.service,
    address: e.address,
    port: e.port,
    protocol: PROTOCOLS[e.protocol],
    healthy: e.ready,
    workload: e.workload ?? null,
    version: e.version ?? workload?.version ?? null,
    zone: e.zone ?? workload?.zone ?? null,
    sidecar: e.sidecar ?? true,
  };
}

/** Every endpoint must name a service, and its workload if any, of the resulting state. */
function referenceIssues(endpoints: readonly { e: ReportedEndpoint; path: string }[], desired: ClusterDiscovery): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const { e, path } of endpoints) {
    if (!desired.services.has(discoveryKey.service({ namespace: e.namespace, name: e.service })))
      issues.push({ path: `${path}.service`, message: `service ${e.namespace}/${e.service} is not in this cluster's discovery`, code: "unknown_service" });
    if (e.workload !== undefined && !desired.workloads.has(discoveryKey.workload({ namespace: e.namespace, name: e.workload })))
      issues.push({ path: `${path}.workload`, message: `workload ${e.namespace}/${e.workload} is not in this cluster's discovery`, code: "unknown_workload" });
  }
  return issues;
}

function duplicateIssues<T>(items: readonly T[], key: (t: T) => string, path: string): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) issues.push({ path: `${path}[${i}]`, message: `${k} appears twice`, code: "duplicate" });
    seen.add(k);
  });
  return issues;
}

/**
 * Applies agents' discovery reports to their own cluster's rows. The cluster
 * always comes from the agent's credential; a report cannot name another.
 */
export class DiscoveryService {
  constructor(
    private readonly repo: DiscoveryRepository,
    private readonly uow: UnitOfWork,
    private readonly mesh: () => Promise<{ id: string }>,
  ) {}

  /**
   * Where a service runs: every cluster that reports it, with its endpoints
   * there and whether each is ready (as its agent last reported), sorted by
   * cluster then address so the dashboard's table does not reshuffle.
   */
  async serviceEndpoints(namespace: string, name: string): Promise<{ clusters: string[]; endpoints: ServiceEndpoint[] }> {
    const found = await this.repo.serviceEndpoints((await this.mesh()).id, namespace, name);
    const endpoints = [...found.endpoints].sort((a, b) => a.cluster.localeCompare(b.cluster) || a.address.localeCompare(b.address) || a.port - b.port);
    return { clusters: found.clusters, endpoints };
  }

  /** A full snapshot: the cluster's rows become exactly the snapshot. */
  async resync(agent: AgentPrincipal, snapshot: ParsedDiscoverySnapshot): Promise<DiscoveryResult> {
    const issues = [
      ...duplicateIssues(snapshot.services, discoveryKey.service, "services"),
      ...duplicateIssues(snapshot.workloads, discoveryKey.workload, "workloads"),
      ...duplicateIssues(snapshot.endpoints, discoveryKey.endpoint, "endpoints"),
    ];
    const workloads = new Map(snapshot.workloads.map((w) => [discoveryKey.workload(w), workloadState(w)]));
    const desired: ClusterDiscovery = {
      seq: BigInt(snapshot.seq),
      gateway: snapshot.gateway,
      services: new Map(snapshot.services.map((s) => [discoveryKey.service(s), serviceState(s)])),
      workloads,
      endpoints: new Map(snapshot.endpoints.map((e) => [discoveryKey.endpoint(e), endpointState(e, workloads)])),
    };
    issues.push(...referenceIssues(snapshot.endpoints.map((e, i) => ({ e, path: `endpoints[${i}]` })), desired));
    if (issues.length > 0) throw new ValidationError("INVALID_REPORT", issues);
    return this.uow.run(async (tx) => {
      const current = await tx.discovery.lockCluster(agent.clusterId);
      const catalogChanged = await tx.discovery.reconcile(agent.clusterId, agent.meshId, current, desired);
      return { seq: snapshot.seq, catalogChanged, counts: { services: desired.services.size, workloads: desired.workloads.size, endpoints: desired.endpoints.size } };
    });
  }

  /**
   * A delta on top of report `baseSeq`. Refused with CONFLICT (the agent then
   * resyncs) when the cluster's last applied report is another one.
   */
  async applyDelta(agent: AgentPrincipal, delta: ParsedDiscoveryDelta): Promise<DiscoveryResult> {
    return this.uow.run(async (tx) => {
      const current = await tx.discovery.lockCluster(agent.clusterId);
      if (current.seq === null || current.seq !== BigInt(delta.baseSeq))
        throw new DomainError("CONFLICT", `resync required: the manager last applied report ${current.seq ?? "none"}, not ${delta.baseSeq}`, "baseSeq");
      const services = new Map(current.services);
      const workloads = new Map(current.workloads);
      const endpoints = new Map(current.endpoints);
      for (const ref of delta.services.removed) {
        services.delete(discoveryKey.service(ref));
        for (const [k, e] of endpoints) if (e.namespace === ref.namespace && e.service === ref.name) endpoints.delete(k);
      }
      for (const ref of delta.workloads.removed) {
        workloads.delete(discoveryKey.workload(ref));
        for (const [k, e] of endpoints) if (e.namespace === ref.namespace && e.workload === ref.name) endpoints.delete(k);
      }
      for (const ref of delta.endpoints.removed) endpoints.delete(discoveryKey.endpoint(ref));
      for (const s of [...delta.services.added, ...delta.services.updated]) services.set(discoveryKey.service(s), serviceState(s));
      for (const w of [...delta.workloads.added, ...delta.workloads.updated]) workloads.set(discoveryKey.workload(w), workloadState(w));
      const changedEndpoints = [
        ...delta.endpoints.added.map((e, i) => ({ e, path: `endpoints.added[${i}]` })),
        ...delta.endpoints.updated.map((e, i) => ({ e, path: `endpoints.updated[${i}]` })),
      ];
      for (const { e } of changedEndpoints) endpoints.set(discoveryKey.endpoint(e), endpointState(e, workloads));
      const desired: ClusterDiscovery = { seq: BigInt(delta.seq), gateway: delta.gateway === undefined ? current.gateway : delta.gateway, services, workloads, endpoints };
      const issues = referenceIssues(changedEndpoints, desired);
      if (issues.length > 0) throw new ValidationError("INVALID_REPORT", issues);
      const catalogChanged = await tx.discovery.reconcile(agent.clusterId, agent.meshId, current, desired);
      return { seq: delta.seq, catalogChanged, counts: { services: services.size, workloads: workloads.size, endpoints: endpoints.size } };
    });
  }
}
