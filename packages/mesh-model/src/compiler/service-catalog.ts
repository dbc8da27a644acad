// The federated catalog as the compiler sees it: one entry per service
// (name, namespace) merged over clusters, ports sorted, endpoints in a stable order.
import type { Catalog, CatalogEndpoint, PortProtocol } from "./compile-input.ts";
import { type DiagnosticSink, compareText } from "./diagnostics.ts";

export interface MeshServicePort {
  name?: string;
  port: number;
  protocol: PortProtocol;
}

export interface MeshService {
  name: string;
  namespace: string;
  /** In declaration order (clusters by name, then the order discovery listed them). */
  ports: MeshServicePort[];
  /** The port host-name routing serves: the first HTTP, HTTP2 or GRPC port declared. */
  primary?: MeshServicePort;
  /** Every cluster's endpoints, ordered by cluster, zone, address, port, version. */
  endpoints: CatalogEndpoint[];
  /** Clusters where the service runs but is not exported to this one, sorted. */
  notExportedIn: string[];
}

/** True for ports the outbound listener can route by Host. */
export function isHttpFamily(protocol: PortProtocol): boolean {
  return protocol !== "TCP";
}

/** `<namespace>/<name>`. */
export function serviceKey(name: string, namespace: string): string {
  return `${namespace}/${name}`;
}

/** Merges catalog entries of the same service from several clusters. */
export function indexCatalog(catalog: Catalog, sink: DiagnosticSink): Map<string, MeshService> {
  const out = new Map<string, MeshService>();
  // Cluster order first, so that which entry declares a port first does not depend on input order.
  const entries = catalog.services
    .map((service, index) => ({ service, index }))
    .sort((a, b) => compareText(a.service.cluster, b.service.cluster) || a.index - b.index);
  for (const { service, index } of entries) {
    const key = serviceKey(service.name, service.namespace);
    let merged = out.get(key);
    if (!merged) {
      merged = { name: service.name, namespace: service.namespace, ports: [], endpoints: [], notExportedIn: [] };
      out.set(key, merged);
    }
    for (const port of service.ports) {
      const existing = merged.ports.find((p) => p.port === port.port);
      if (!existing) merged.ports.push({ ...(port.name !== undefined ? { name: port.name } : {}), port: port.port, protocol: port.protocol });
      else if (existing.protocol !== port.protocol)
        sink.add({
          severity: "warning",
          code: "conflicting_port_protocol",
          path: `catalog.services[${index}].ports`,
          message: `${key} port ${port.port} is ${port.protocol} in cluster ${service.cluster} but ${existing.protocol} elsewhere; ${existing.protocol} is used`,
        });
    }
    merged.endpoints.push(...service.endpoints.map((e) => ({ ...e, cluster: e.cluster })));
    if (service.exported === false) merged.notExportedIn.push(service.cluster);
  }
  for (const service of out.values()) {
    const primary = service.ports.find((p) => isHttpFamily(p.protocol));
    if (primary) service.primary = primary;
    service.endpoints.sort(
      // Version last: one gateway address:port stands for several version groups of a remote cluster.
      (a, b) => compareText(a.cluster, b.cluster) || compareText(a.zone ?? "", b.zone ?? "") || compareText(a.address, b.address) || a.port - b.port || compareText(a.version ?? "", b.version ?? ""),
    );
  }
  return out;
}

/** The port an endpoint serves `port` of its service on, if it says. */
export function endpointPort(service: MeshService, endpoint: CatalogEndpoint, port: MeshServicePort): number | undefined {
  const byName = port.name !== undefined ? endpoint.ports?.[port.name] : undefined;
  const explicit = byName ?? endpoint.ports?.[String(port.port)];
  if (explicit !== undefined) return explicit;
  const main = service.primary ?? service.ports[0];
  return main && main.port === port.port ? endpoint.port : service.ports.length === 1 ? endpoint.port : undefined;
}
