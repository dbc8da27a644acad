// Adapts what a Kubernetes-mode agent knows into the compiler's input for one
// injected sidecar: the manager's cluster config, the Kubernetes catalog
// (services, endpoints, workloads) and the pod itself. Pure. The universal
// counterpart is mesh-config/compile-inputs.ts, whose pieces are reused here.
import type { V1Pod } from "@kubernetes/client-node";
import type { ClusterConfig } from "@weft/mesh-model";
import type { CompileInputRaw, ProxyCompileInputRaw, SharedCompileInputRaw } from "@weft/mesh-model/compiler";
import type { ProxyConfig } from "@weft/mesh-model/proxy-config";
import { SIDECAR_SVID_FILES } from "@weft/mesh-model";
import type { CatalogSnapshot } from "../discovery/catalog.schema.ts";
import { portProtocol } from "../kubernetes/kube-catalog.ts";
import { remoteCatalog, resourceEntries, toPortProtocol } from "../mesh-config/compile-inputs.ts";
import { ANNOTATIONS, PROXY_PORTS, serviceOf } from "../webhook/sidecar-injection.ts";

type CatalogServiceInput = NonNullable<NonNullable<CompileInputRaw["catalog"]>["services"]>[number];

/** What the compiler needs to know about a pod with an injected sidecar. */
export interface SidecarPod {
  name: string;
  namespace: string;
  uid: string | undefined;
  serviceAccount: string;
  labels: Record<string, string>;
  /** The app port the sidecar's inbound listener fronts: the first TCP container port (as in the bootstrap config). */
  appPort: { port: number; protocol: ReturnType<typeof portProtocol> } | undefined;
  raw: V1Pod;
}

export function sidecarPodOf(pod: V1Pod): SidecarPod {
  const port = pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => (p.protocol ?? "TCP") === "TCP");
  return {
    name: pod.metadata?.name ?? "",
    namespace: pod.metadata?.namespace ?? "default",
    uid: pod.metadata?.uid,
    serviceAccount: pod.spec?.serviceAccountName || "default",
    labels: pod.metadata?.labels ?? {},
    appPort: port ? { port: port.containerPort, protocol: portProtocol({ ...(port.name !== undefined && { name: port.name }) }) } : undefined,
    raw: pod,
  };
}

/** Whether a pod runs the injected sidecar (then its endpoints are reached through the sidecar's inbound port). */
export const hasSidecar = (pod: V1Pod | undefined): boolean => pod?.metadata?.annotations?.[ANNOTATIONS.injected] !== undefined;

/**
 * This cluster's services as the compiler sees them. Kubernetes callers dial
 * the service port; an endpoint whose pod has a sidecar is reached at the
 * sidecar's inbound port, any other at its own (target) port. One endpoint
 * per address: the first port the EndpointSlice lists.
 */
export function kubeLocalCatalog(
  snapshot: CatalogSnapshot,
  cluster: string,
  podOf: (namespace: string, name: string) => V1Pod | undefined,
  layout: SidecarLayout = POD_LAYOUT,
): CatalogServiceInput[] {
  const accounts = new Map(snapshot.workloads.map((w) => [`${w.namespace}/${w.name}`, w.serviceAccount]));
  return snapshot.services.flatMap((s) => {
    if (s.ports.length === 0) return [];
    const seen = new Set<string>();
    const endpoints = snapshot.endpoints
      .filter((e) => e.service === s.name && e.namespace === s.namespace)
      .filter((e) => !seen.has(e.address) && seen.add(e.address))
      .map((e) => {
        const meshed = e.workload !== undefined && hasSidecar(podOf(e.namespace, e.workload));
        const serviceAccount = e.workload !== undefined ? accounts.get(`${e.namespace}/${e.workload}`) : undefined;
        return {
          address: e.address,
          port: meshed ? layout.inbound : e.port,
          cluster,
          ready: e.ready,
          // Pods without the sidecar are outside the mesh: reached in plaintext.
          sidecar: meshed,
          ...(serviceAccount !== undefined && { serviceAccount }),
          ...(e.version !== undefined && { version: e.version }),
          ...(e.zone !== undefined && { zone: e.zone }),
        };
      });
    return [{ name: s.name, namespace: s.namespace, cluster, ports: s.ports.map((p) => ({ ...(p.name !== undefined && { name: p.name }), port: p.port, protocol: toPortProtocol(p.protocol) })), endpoints }];
  });
}

/** Where the sidecar listens: the injected ports on every interface in a pod; tests move them to free loopback ports. */
export interface SidecarLayout {
  outbound: number;
  inbound: number;
  admin: number;
  /** Address of the inbound and admin listeners. */
  address: string;
}

export const POD_LAYOUT: SidecarLayout = { ...PROXY_PORTS, address: "0.0.0.0" };

/** How the sidecar holds its SVID: files it wrote itself into `identityDir`, once it has them. */
export interface SidecarSvidFiles {
  identityDir: string;
}

/** The compile input of one sidecar. `svid` is given once the sidecar reports an SVID on disk and the mesh has a CA. */
export function sidecarCompileInput(input: SidecarInputSources & { pod: SidecarPod; svid: SidecarSvidFiles | undefined }): CompileInputRaw {
  return { ...sidecarSharedInput(input), ...sidecarProxyInput(input) };
}

/** What every sidecar's compile input is built from besides its own pod. */
export interface SidecarInputSources {
  snapshot: CatalogSnapshot;
  cluster: string;
  config: ClusterConfig | undefined;
  podOf: (namespace: string, name: string) => V1Pod | undefined;
  layout?: SidecarLayout;
}

/** The part of a sidecar's compile input all sidecars of the cluster share: the resources and the catalog (MeshCompiler's input). */
export function sidecarSharedInput(input: SidecarInputSources): SharedCompileInputRaw {
  return {
    resources: resourceEntries(input.config),
    catalog: { services: [...kubeLocalCatalog(input.snapshot, input.cluster, input.podOf, input.layout ?? POD_LAYOUT), ...remoteCatalog(input.config)] },
  };
}

/**
 * What the shared part reads from the pod informer besides the snapshot: which endpoints' pods carry the
 * sidecar (they are reached on its inbound port, in mTLS). Equal fingerprints over the same snapshot and
 * config give an equal shared part.
 */
export function meshedEndpointsFingerprint(snapshot: CatalogSnapshot, podOf: (namespace: string, name: string) => V1Pod | undefined): string {
  return snapshot.endpoints.map((e) => (e.workload !== undefined && hasSidecar(podOf(e.namespace, e.workload)) ? "1" : "0")).join("");
}

/** One sidecar's own part of its compile input: its workload and options. */
export function sidecarProxyInput(input: SidecarInputSources & { pod: SidecarPod; svid: SidecarSvidFiles | undefined }): ProxyCompileInputRaw {
  const { pod, snapshot, cluster, config } = input;
  const layout = input.layout ?? POD_LAYOUT;
  const own = snapshot.endpoints.filter((e) => e.namespace === pod.namespace && e.workload === pod.name);
  const service = [...new Set(own.map((e) => e.service))].sort()[0] ?? serviceOf(pod.raw);
  const workload = snapshot.workloads.find((w) => w.namespace === pod.namespace && w.name === pod.name);
  const version = pod.labels.version;
  const zone = workload?.zone;
  const appProtocol = pod.appPort && (own.find((e) => e.port === pod.appPort!.port)?.protocol ?? pod.appPort.protocol);
  const trust = config?.trust;
  return {
    workload: {
      name: pod.name,
      namespace: pod.namespace,
      service,
      cluster,
      serviceAccount: pod.serviceAccount,
      ...(version !== undefined && { version }),
      ...(zone !== undefined && { zone }),
      appPorts: pod.appPort ? [{ port: pod.appPort.port, protocol: toPortProtocol(appProtocol) }] : [],
    },
    options: {
      outboundPort: layout.outbound,
      inboundPort: layout.inbound,
      inboundAddress: layout.address,
      appAddress: "127.0.0.1",
      adminPort: layout.admin,
      ...(trust &&
        input.svid && {
          // The SVID is in files the sidecar writes (its key never leaves the pod); the bundle comes with the config.
          identity: {
            trustDomain: config.mesh.trustDomain,
            svid: { source: "file", certChainPath: `${input.svid.identityDir}/${SIDECAR_SVID_FILES.certChain}`, keyPath: `${input.svid.identityDir}/${SIDECAR_SVID_FILES.key}` },
            trustBundle: { source: "inline", rootsPem: trust.rootsPem },
            fileCheckIntervalMs: 1000,
            ...(trust.revokedFingerprints.length > 0 && { revokedFingerprints: trust.revokedFingerprints }),
          },
          mtlsMode: config.mesh.mtlsMode,
        }),
    },
  };
}

/**
 * The compiler binds the admin listener to loopback; in a pod the kubelet
 * probes /ready on the pod IP, so the sidecar's admin listener is on every
 * interface (as in its bootstrap config; PUT /config stays loopback-only in
 * the proxy). The version changes with it, deterministically.
 */
export function podReachableAdmin(config: ProxyConfig, layout: SidecarLayout = POD_LAYOUT): ProxyConfig {
  return {
    ...config,
    version: `${config.version}-pod`,
    listeners: config.listeners.map((l) => (l.kind === "admin" ? { ...l, address: layout.address } : l)),
  };
}
