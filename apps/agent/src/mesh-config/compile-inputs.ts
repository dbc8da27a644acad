// Adapts what the agent knows into the compiler's input, one per local proxy:
// the manager's cluster config (resources + the other clusters' catalog) and
// the local catalog (universal file). Pure.
import { refOf, resourceKey, type ClusterConfig } from "@weft/mesh-model";
import type { CompileInputRaw, CompileOptions, PortProtocol, ProxyCompileInputRaw, SharedCompileInputRaw, SharedContentKeys } from "@weft/mesh-model/compiler";
import { createHash } from "node:crypto";
import { canonicalJson } from "../discovery/catalog.ts";
import type { Protocol } from "../discovery/catalog.schema.ts";
import { localInstances, servicePortOf, type LocalInstance } from "../universal/universal-catalog.ts";
import type { UniversalFile, UniversalInstance, UniversalService } from "../universal/universal-file.schema.ts";

type CatalogServiceInput = NonNullable<NonNullable<CompileInputRaw["catalog"]>["services"]>[number];

const PROTOCOL: Record<string, PortProtocol> = { http: "HTTP", http2: "HTTP2", grpc: "GRPC", tcp: "TCP" };
/** Discovery's protocols (any case) → the compiler's; unknown ones are treated as HTTP, the compiler's default. */
export const toPortProtocol = (p: Protocol | string | undefined): PortProtocol => PROTOCOL[(p ?? "http").toLowerCase()] ?? "HTTP";

/**
 * Service `s` of `cluster` as the compiler's catalog lists it: the service
 * ports `instances` serve (`servicePort`, else `port`; each with the protocol
 * of the first instance on it) and one endpoint per instance. None (an empty
 * list, for flatMap) when the instances serve no port.
 */
export function catalogEntry<E>(
  s: UniversalService,
  instances: readonly UniversalInstance[],
  cluster: string,
  endpoint: (inst: UniversalInstance) => E,
): { name: string; namespace: string; cluster: string; ports: { port: number; protocol: PortProtocol }[]; endpoints: E[] }[] {
  const ports = new Map<number, PortProtocol>();
  for (const inst of instances) {
    const servicePort = servicePortOf(inst);
    if (!ports.has(servicePort)) ports.set(servicePort, toPortProtocol(inst.protocol ?? s.protocol));
  }
  if (ports.size === 0) return [];
  return [{ name: s.name, namespace: s.namespace, cluster, ports: [...ports].map(([port, protocol]) => ({ port, protocol })), endpoints: instances.map((inst) => endpoint(inst)) }];
}

/** An instance's version and zone, as the optional fields of an endpoint or workload. */
export const versionAndZone = (inst: { version?: string | undefined; zone?: string | undefined }): { version?: string; zone?: string } => ({
  ...(inst.version !== undefined && { version: inst.version }),
  ...(inst.zone !== undefined && { zone: inst.zone }),
});

/**
 * This cluster's services as the compiler sees them: instances with a local
 * proxy are reached through its inbound port, the others at the port they
 * listen on; either way, for their service port (and no other one).
 */
export function localCatalog(file: UniversalFile, cluster: string): CatalogServiceInput[] {
  return file.services.flatMap((s) =>
    catalogEntry(s, s.instances, cluster, (inst) => ({
      address: inst.address,
      port: inst.proxy ? inst.proxy.inboundPort : inst.port,
      ports: { [String(servicePortOf(inst))]: inst.proxy ? inst.proxy.inboundPort : inst.port },
      cluster,
      ready: inst.ready,
      serviceAccount: inst.serviceAccount,
      // Without a proxy the instance is outside the mesh: callers reach it in plaintext.
      sidecar: inst.proxy !== undefined,
      ...versionAndZone(inst),
    })),
  );
}

/**
 * The other clusters' services from the manager's federated catalog. Their
 * instances are reached through their cluster's east-west gateway: one
 * endpoint per (version, zone, proxy or not) group at the gateway, weighted
 * by its healthy count, carrying what a local endpoint carries (whether a
 * proxy fronts it, its identity, its locality) so the compiler can decide
 * whether the gateway path can reach it at all. A cluster without a gateway
 * contributes no endpoints.
 */
export function remoteCatalog(config: ClusterConfig | undefined): CatalogServiceInput[] {
  if (!config) return [];
  return config.catalog.flatMap((s) => {
    if (s.ports.length === 0) return [];
    const ports = s.ports.map((p) => ({ ...(p.name !== undefined && { name: p.name }), port: p.port, protocol: toPortProtocol(p.protocol) }));
    return s.clusters.map((c) => ({
      name: s.name,
      namespace: s.namespace,
      cluster: c.cluster,
      ports,
      // Not exported there: the manager sent no endpoints; the compiler says why calls answer 503.
      ...(c.exported === false && { exported: false }),
      endpoints: c.gateway
        ? c.endpoints.map((g) => ({
            address: c.gateway!.address,
            port: c.gateway!.port,
            cluster: c.cluster,
            ready: g.healthy > 0,
            weight: Math.max(1, g.healthy),
            // The compiler gives it the east-west server name of the service port and version, and originates mTLS.
            viaGateway: true,
            // Configs of managers before issue 12 do not say: assume a proxy, as callers always did.
            sidecar: g.sidecar ?? true,
            ...(g.serviceAccounts?.length === 1 && { serviceAccount: g.serviceAccounts[0] }),
            ...(g.version !== null && { version: g.version }),
            ...(g.zone !== null && { zone: g.zone }),
          }))
        : [],
    }));
  });
}

/**
 * The remote catalog of the last config, kept by the manager's catalog
 * digest: a resource write leaves the catalog as it was, and its thousand
 * services need not be mapped again. The entries are shared between
 * snapshots: treat them as immutable.
 */
export class RemoteCatalogCache {
  #digest: string | undefined;
  #services: CatalogServiceInput[] = [];

  of(config: ClusterConfig | undefined): CatalogServiceInput[] {
    const digest = config?.catalogDigest;
    if (digest === undefined) return remoteCatalog(config);
    if (digest !== this.#digest) {
      this.#services = remoteCatalog(config);
      this.#digest = digest;
    }
    return this.#services;
  }
}

/** Where a proxy reads its SVID and trust bundle (absolute paths, written by the agent's identity loop). */
export interface IdentityFilePaths {
  certChainPath: string;
  keyPath: string;
  bundlePath: string;
  fileCheckIntervalMs: number;
}

/**
 * The identity options of one proxy: its file-sourced SVID and bundle, the
 * revoked intermediates and the mesh's mTLS mode, once the mesh has a CA and
 * the proxy's SVID is on disk. Before that, none: the proxy speaks plaintext.
 */
export function identityOptions(config: ClusterConfig | undefined, files: IdentityFilePaths | undefined): Pick<CompileOptions, "identity" | "mtlsMode"> {
  // A config cached by an older agent has no `trust`: no CA as far as we know.
  if (!config?.trust || !files) return {};
  return {
    identity: {
      trustDomain: config.mesh.trustDomain,
      svid: { source: "file", certChainPath: files.certChainPath, keyPath: files.keyPath },
      trustBundle: { source: "file", path: files.bundlePath },
      fileCheckIntervalMs: files.fileCheckIntervalMs,
      ...(config.trust.revokedFingerprints.length > 0 && { revokedFingerprints: config.trust.revokedFingerprints }),
    },
    mtlsMode: config.mesh.mtlsMode,
  };
}

/** The cluster config's resources with their creation times, as the compiler takes them. */
export function resourceEntries(config: ClusterConfig | undefined): NonNullable<CompileInputRaw["resources"]> {
  // Creation times decide HTTPRoute precedence ties; a config from an older manager has none (namespace/name decides).
  const createdAt = config?.resourceCreatedAt ?? {};
  return (config?.resources ?? []).map((resource) => {
    const at = createdAt[resourceKey(refOf(resource))];
    return at ? { resource, createdAt: at } : { resource };
  });
}

/** What every local proxy's compile shares: the cluster config's resources and the local and remote catalog. */
export function sharedCompileInput(file: UniversalFile, cluster: string, config: ClusterConfig | undefined): SharedCompileInputRaw {
  return sharedParts(file, cluster, config, undefined).shared;
}

/**
 * The shared compile input with its content keys for the parse cache: the
 * resources' revision ids and the catalog's digest as the manager sent them
 * (none from an older manager), the catalog's key also covering this
 * cluster's own services, which come from the file.
 */
export function sharedCompileInputWithKeys(
  file: UniversalFile,
  cluster: string,
  config: ClusterConfig | undefined,
  remote?: RemoteCatalogCache,
): { shared: SharedCompileInputRaw; keys: SharedContentKeys } {
  const { shared, local } = sharedParts(file, cluster, config, remote);
  return { shared, keys: { resources: config?.resourceRevisions, catalog: config?.catalogDigest === undefined ? undefined : `${config.catalogDigest}:${JSON.stringify(local)}` } };
}

function sharedParts(file: UniversalFile, cluster: string, config: ClusterConfig | undefined, remote: RemoteCatalogCache | undefined) {
  const local = localCatalog(file, cluster);
  return { local, shared: { resources: resourceEntries(config), catalog: { services: [...local, ...(remote ? remote.of(config) : remoteCatalog(config))] } } satisfies SharedCompileInputRaw };
}

/**
 * Each local proxy's own part of its compile input (workload and options),
 * keyed by proxy id (`<namespace>/<instance>`). `identityFiles` names each
 * proxy's identity files once they exist.
 */
export function proxyCompileInputs(
  file: UniversalFile,
  cluster: string,
  config: ClusterConfig | undefined,
  identityFiles?: (instance: LocalInstance) => IdentityFilePaths | undefined,
): Map<string, ProxyCompileInputRaw> {
  return new Map(
    localInstances(file).map((inst) => [
      inst.id,
      {
        workload: {
          name: inst.name,
          namespace: inst.namespace,
          service: inst.service,
          cluster,
          serviceAccount: inst.serviceAccount,
          ...versionAndZone(inst),
          // Inbound policies (TrafficPolicy, AuthorizationPolicy ports, rate limits) name the service port, the listener forwards to the app's.
          appPorts: [{ port: inst.port, ...(inst.servicePort !== inst.port && { servicePort: inst.servicePort }), protocol: toPortProtocol(inst.protocol) }],
        },
        options: {
          outboundPort: inst.proxy.outboundPort,
          inboundPort: inst.proxy.inboundPort,
          inboundAddress: inst.proxy.inboundAddress,
          appAddress: inst.address,
          adminPort: inst.proxy.adminPort,
          localPorts: inst.proxy.localPorts,
          ...identityOptions(config, identityFiles?.(inst)),
        },
      } satisfies ProxyCompileInputRaw,
    ]),
  );
}

/**
 * One whole compile input per local proxy, keyed by proxy id (the shared part
 * and the proxy's own; every input holds the same shared objects).
 */
export function compileInputs(
  file: UniversalFile,
  cluster: string,
  config: ClusterConfig | undefined,
  identityFiles?: (instance: LocalInstance) => IdentityFilePaths | undefined,
): Map<string, CompileInputRaw> {
  const shared = sharedCompileInput(file, cluster, config);
  return new Map([...proxyCompileInputs(file, cluster, config, identityFiles)].map(([id, proxy]) => [id, { ...shared, ...proxy }]));
}

/** Hash of one proxy's compile input: equal hashes mean the compiled config cannot differ. */
export function inputHash(input: CompileInputRaw): string {
  return createHash("sha256").update(canonicalJson(input)).digest("hex");
}
