// Which namespace a proxy's telemetry means by a destination service name: the
// proxies label edges with the service name alone.
import type { ClusterConfig } from "@weft/mesh-model";

export interface NamedService {
  name: string;
  namespace: string;
}

/** The namespace of a destination service: the caller's own when it has one there, else the only one, else unknown (""). */
export function namespaceAmong(service: string, callerNamespace: string, services: readonly NamedService[]): string {
  const namespaces = new Set(services.filter((s) => s.name === service).map((s) => s.namespace));
  return namespaces.has(callerNamespace) ? callerNamespace : namespaces.size === 1 ? [...namespaces][0]! : "";
}

/**
 * Every destination a proxy of this cluster can name: the services discovered
 * here, the other clusters' (the federated catalog) and the ExternalServices
 * among the config's resources — calls to those are in no catalog, and without
 * them their edges reached the manager with no namespace.
 */
export function knownDestinations(local: readonly NamedService[], config: Pick<ClusterConfig, "catalog" | "resources"> | undefined): NamedService[] {
  const external = (config?.resources ?? []).flatMap((r) => (r.kind === "ExternalService" ? [{ name: r.metadata.name, namespace: r.metadata.namespace ?? "default" }] : []));
  return [...local, ...(config?.catalog ?? []), ...external];
}
