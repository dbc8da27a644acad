// Maps the Kubernetes objects the informers hold onto the catalog. Pure.
import type { V1EndpointSlice, V1Namespace, V1Pod, V1Service } from "@kubernetes/client-node";
import type { ReportedEndpoint, CatalogSnapshot, ReportedWorkload, Protocol, DiscoveredPort } from "../discovery/catalog.schema.ts";
import { ANNOTATIONS } from "../webhook/sidecar-injection.ts";

export interface MeshSelector {
  /** Namespace label that enables the mesh, e.g. `weft.io/mesh`. */
  label: string;
  /** Value it must have, e.g. `enabled`. */
  value: string;
}

export const DEFAULT_MESH_SELECTOR: MeshSelector = { label: "weft.io/mesh", value: "enabled" };

export interface KubeObjects {
  namespaces: readonly V1Namespace[];
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
  pods: readonly V1Pod[];
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const ZONE_LABEL = "topology.kubernetes.io/zone";

/**
 * The application protocol of a port: `appProtocol` first (Kubernetes 1.20+),
 * then the Istio-style port name prefix (`http-web`, `grpc`), else opaque TCP.
 */
export function portProtocol(port: { name?: string; appProtocol?: string }): Protocol {
  const app = port.appProtocol?.toLowerCase();
  if (app === "http" || app === "http1" || app === "kubernetes.io/http") return "http";
  if (app === "http2" || app === "h2c" || app === "kubernetes.io/h2c") return "http2";
  if (app === "grpc") return "grpc";
  if (app !== undefined) return "tcp";
  const prefix = port.name?.toLowerCase().split("-")[0];
  if (prefix === "http" || prefix === "http1") return "http";
  if (prefix === "http2" || prefix === "h2c") return "http2";
  if (prefix === "grpc") return "grpc";
  return "tcp";
}

/** Only TCP ports are meshed: UDP and SCTP stay out of the catalog. */
const isTcp = (p: { protocol?: string }) => (p.protocol ?? "TCP") === "TCP";

export function kubeToCatalog(objects: KubeObjects, mesh: MeshSelector = DEFAULT_MESH_SELECTOR): CatalogSnapshot {
  const meshNamespaces = new Set(objects.namespaces.filter((ns) => ns.metadata?.labels?.[mesh.label] === mesh.value).map((ns) => ns.metadata?.name));
  const inMesh = (o: { metadata?: { namespace?: string } }) => o.metadata?.namespace !== undefined && meshNamespaces.has(o.metadata.namespace);

  const services = objects.services
    .filter((s) => inMesh(s) && s.spec?.type !== "ExternalName")
    .map((s) => ({
      name: s.metadata!.name!,
      namespace: s.metadata!.namespace!,
      ports: (s.spec?.ports ?? []).filter(isTcp).map((p): DiscoveredPort => ({ ...(p.name && { name: p.name }), port: p.port, protocol: portProtocol(p) })),
      labels: s.metadata?.labels ?? {},
    }));
  const serviceKeys = new Set(services.map((s) => `${s.namespace}/${s.name}`));

  const pods = new Map(objects.pods.filter(inMesh).map((p) => [`${p.metadata!.namespace}/${p.metadata!.name}`, p]));
  // The EndpointSlice controller copies the node's topology label into endpoint.zone;
  // it is the zone source that needs no access to Nodes.
  const podZones = new Map<string, string>();

  const endpoints: ReportedEndpoint[] = [];
  for (const slice of objects.endpointSlices) {
    const namespace = slice.metadata?.namespace;
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!namespace || !service || !inMesh(slice) || !serviceKeys.has(`${namespace}/${service}`)) continue;
    if (slice.addressType === "FQDN") continue;
    for (const ep of slice.endpoints ?? []) {
      const podName = ep.targetRef?.kind === "Pod" ? ep.targetRef.name : undefined;
      const pod = podName ? pods.get(`${namespace}/${podName}`) : undefined;
      if (podName && ep.zone) podZones.set(`${namespace}/${podName}`, ep.zone);
      const version = pod?.metadata?.labels?.version;
      const zone = ep.zone ?? pod?.metadata?.labels?.[ZONE_LABEL];
      for (const address of ep.addresses) {
        for (const port of (slice.ports ?? []).filter(isTcp)) {
          if (port.port === undefined) continue;
          endpoints.push({
            service,
            namespace,
            address,
            port: port.port,
            protocol: portProtocol(port),
            // "A nil value indicates an unknown state. In most cases consumers should interpret this unknown state as ready."
            ready: ep.conditions?.ready !== false,
            ...(podName && { workload: podName }),
            ...(version && { version }),
            ...(zone && { zone }),
            // Other clusters reach it through the east-west gateway only when a proxy terminates their mTLS.
            sidecar: pod?.metadata?.annotations?.[ANNOTATIONS.injected] !== undefined,
          });
        }
      }
    }
  }

  const workloads: ReportedWorkload[] = [...pods.entries()]
    .filter(([, p]) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
    .map(([key, p]) => {
      const labels = p.metadata?.labels ?? {};
      const zone = podZones.get(key) ?? labels[ZONE_LABEL];
      return {
        name: p.metadata!.name!,
        namespace: p.metadata!.namespace!,
        serviceAccount: p.spec?.serviceAccountName || "default",
        ...(labels.version && { version: labels.version }),
        ...(zone && { zone }),
        labels,
      };
    });

  return { services, workloads, endpoints };
}
