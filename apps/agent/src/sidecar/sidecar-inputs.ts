// Adapts what a Kubernetes-mode agent knows into the compiler's input for one
// injected sidecar: the manager's cluster config, the Kubernetes catalog
// (services, endpoints, workloads) and the pod itself. Pure. The universal
// counterpart is mesh-config/compile-inputs.ts, whose pieces are reused here.
import type { V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
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

/**
 * The port Service port `port` reaches on `pod`, as Kubernetes resolves it
 * (the EndpointSlice controller's FindPort): a numeric targetPort as is, a
 * named one through the pod's container port of that name and protocol,
 * none (the API server defaults it) the service port itself. Undefined when
 * the name matches no container port (Kubernetes then lists no endpoint).
 */
export function targetPortOn(pod: V1Pod, port: V1ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === "number") return target;
  // IntOrString arrives as text when a client wrote "8080" in quotes.
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? "TCP";
  return pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === target && (p.protocol ?? "TCP") === protocol)?.containerPort;
}

/**
 * The port of `service` that `appPort` of `pod` serves: the first TCP
 * Service port whose targetPort resolves to it. Inbound policies name that
 * port (and its name or appProtocol says the protocol), while the sidecar
 * forwards to `appPort`. Undefined when none does.
 */
export function servicePortServing(pod: V1Pod, service: V1Service | undefined, appPort: number): V1ServicePort | undefined {
  return service?.spec?.ports?.find((p) => (p.protocol ?? "TCP") === "TCP" && targetPortOn(pod, p) === appPort);
}

/** Whether a pod runs the injected sidecar (then its endpoints are reached through the sidecar's inbound port). */
export const hasSidecar = (pod: V1Pod | undefined): boolean => pod?.metadata?.annotations?.[ANNOTATIONS.injected] !== undefined;

/**
 * This cluster's services as the compiler sees them. Kubernetes callers dial
 * the service port; an endpoint whose pod has a sidecar is reached at the
 * sidecar's inbound port, any other at its own (target) port. One endpoint
 * per address: the first port the EndpointSlice lists, and, with the Service
 * at hand (`serviceOf`), the target port of each Service port for endpoints
 * outside the mesh (the first listed port need not be the primary's).
 */
export function kubeLocalCatalog(
  snapshot: CatalogSnapshot,
  cluster: string,
  podOf: (namespace: string, name: string) => V1Pod | undefined,
  layout: SidecarLayout = POD_LAYOUT,
  serviceOf?: (namespace: string, name: string) => V1Service | undefined,
): CatalogServiceInput[] {
  const accounts = new Map(snapshot.workloads.map((w) => [`${w.namespace}/${w.name}`, w.serviceAccount]));
  return snapshot.services.flatMap((s) => {
    if (s.ports.length === 0) return [];
    const seen = new Set<string>();
    const all = snapshot.endpoints.filter((e) => e.service === s.name && e.namespace === s.namespace);
    const service = serviceOf?.(s.namespace, s.name);
    // The ports the EndpointSlices list per address (one map, not a scan per endpoint: services can have thousands).
    const listed = new Map<string, Set<number>>();
    if (service) for (const e of all) listed.set(e.address, (listed.get(e.address) ?? new Set()).add(e.port));
    const endpoints = all
      .filter((e) => !seen.has(e.address) && seen.add(e.address))
      .map((e) => {
        const pod = e.workload !== undefined ? podOf(e.namespace, e.workload) : undefined;
        const meshed = hasSidecar(pod);
        const serviceAccount = e.workload !== undefined ? accounts.get(`${e.namespace}/${e.workload}`) : undefined;
        const ports = meshed || !service ? undefined : targetPortsOf(service, pod, listed.get(e.address) ?? new Set());
        return {
          address: e.address,
          port: meshed ? layout.inbound : e.port,
          ...(ports && { ports }),
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

/**
 * The target port of each TCP port of `service` on an endpoint, keyed as the
 * compiler looks endpoint ports up (the port's name, else its number): through
 * the pod when known, else a numeric targetPort. Only ports the EndpointSlice
 * lists for the address count. Undefined when none resolves.
 */
function targetPortsOf(service: V1Service, pod: V1Pod | undefined, listed: ReadonlySet<number>): Record<string, number> | undefined {
  const ports: Record<string, number> = {};
  for (const p of service.spec?.ports ?? []) {
    if ((p.protocol ?? "TCP") !== "TCP") continue;
    const target = pod ? targetPortOn(pod, p) : typeof p.targetPort === "string" ? undefined : (p.targetPort ?? p.port);
    if (target !== undefined && listed.has(target)) ports[p.name ?? String(p.port)] = target;
  }
  return Object.keys(ports).length > 0 ? ports : undefined;
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
  /** The Service informer's view: which Service port a sidecar's app port serves (its targetPort). */
  serviceOf?: (namespace: string, name: string) => V1Service | undefined;
  layout?: SidecarLayout;
}

/** The part of a sidecar's compile input all sidecars of the cluster share: the resources and the catalog (MeshCompiler's input). */
export function sidecarSharedInput(input: SidecarInputSources): SharedCompileInputRaw {
  return {
    resources: resourceEntries(input.config),
    catalog: { services: [...kubeLocalCatalog(input.snapshot, input.cluster, input.podOf, input.layout ?? POD_LAYOUT, input.serviceOf), ...remoteCatalog(input.config)] },
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
  // Callers, routes and policies name the Service port (80); the app listens on its targetPort (8080).
  const serving = pod.appPort && servicePortServing(pod.raw, input.serviceOf?.(pod.namespace, service), pod.appPort.port);
  const servicePort = serving?.port;
  const appProtocol = pod.appPort && (own.find((e) => e.port === pod.appPort!.port)?.protocol ?? (serving ? portProtocol(serving) : pod.appPort.protocol));
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
      appPorts: pod.appPort ? [{ port: pod.appPort.port, ...(servicePort !== undefined && servicePort !== pod.appPort.port && { servicePort }), protocol: toPortProtocol(appProtocol) }] : [],
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
