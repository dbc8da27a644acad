// Maps a validated universal file onto the catalog.
import type { CatalogSnapshot, Protocol } from "../discovery/catalog.schema.ts";
import type { LocalProxy, UniversalFile } from "./universal-file.schema.ts";

/** An instance this agent runs a proxy for. */
export interface LocalInstance {
  /** `<namespace>/<name>`: stable across reloads, names the proxy's config file. */
  id: string;
  name: string;
  service: string;
  namespace: string;
  address: string;
  /** Port the application listens on (the inbound proxy forwards to it). */
  port: number;
  /** Port the service is addressed on across the mesh (`servicePort`, else `port`). */
  servicePort: number;
  protocol: Protocol;
  version?: string;
  serviceAccount: string;
  zone?: string;
  proxy: LocalProxy;
}

export function instanceName(service: string, index: number, name: string | undefined): string {
  return name ?? `${service}-${index}`;
}

/** The port `inst` serves its service on across the mesh: `servicePort`, else the port it listens on. */
export function servicePortOf(inst: { port: number; servicePort?: number | undefined }): number {
  return inst.servicePort ?? inst.port;
}

/** Whether a local instance's proxy is up and serving its config (the supervisor's readiness probe), by instance id. */
export type ProxyReadiness = (id: string) => boolean;

/**
 * Whether an instance may receive traffic: its file says `ready`, and, when it
 * declares a proxy, that proxy is running and ready (GET /ready answers 200:
 * it applied a config, so its inbound listener is bound, and it is not
 * draining). Until then callers would only reach a closed inbound port, as a
 * Kubernetes pod is not ready until its sidecar is. Without `proxyReady`, the
 * file alone decides (instances without a proxy always do).
 */
export function instanceReady(inst: { ready: boolean; proxy?: unknown }, id: string, proxyReady: ProxyReadiness | undefined): boolean {
  return inst.ready && (inst.proxy === undefined || proxyReady === undefined || proxyReady(id));
}

/**
 * The file as callers should see it: each instance's `ready` is what
 * instanceReady says. Every other field is kept, and an instance whose
 * readiness is unchanged is the same object. Without `proxyReady`, the file itself.
 */
export function withProxyReadiness(file: UniversalFile, proxyReady: ProxyReadiness | undefined): UniversalFile {
  if (!proxyReady) return file;
  return {
    ...file,
    services: file.services.map((s) => ({
      ...s,
      instances: s.instances.map((inst, i) => {
        const ready = instanceReady(inst, `${s.namespace}/${instanceName(s.name, i, inst.name)}`, proxyReady);
        return ready === inst.ready ? inst : { ...inst, ready };
      }),
    })),
  };
}

/**
 * The catalog of a universal file: a service's ports are its instances'
 * service ports, each endpoint keeps the port it really listens on (the
 * target port, as a Kubernetes EndpointSlice does). With `proxyReady`, an
 * instance with a proxy is ready only while its proxy is (instanceReady).
 */
export function universalToCatalog(source: UniversalFile, proxyReady?: ProxyReadiness): CatalogSnapshot {
  const file = withProxyReadiness(source, proxyReady);
  const snapshot: CatalogSnapshot = { services: [], workloads: [], endpoints: [] };
  for (const s of file.services) {
    const ports = new Map<string, { port: number; protocol: Protocol }>();
    s.instances.forEach((inst, i) => {
      const name = instanceName(s.name, i, inst.name);
      const protocol = inst.protocol ?? s.protocol;
      const servicePort = servicePortOf(inst);
      // The schema refuses one service port with two protocols, so the first instance's protocol is every one's.
      if (!ports.has(String(servicePort))) ports.set(String(servicePort), { port: servicePort, protocol });
      snapshot.workloads.push({
        name,
        namespace: s.namespace,
        serviceAccount: inst.serviceAccount,
        ...(inst.version !== undefined && { version: inst.version }),
        ...(inst.zone !== undefined && { zone: inst.zone }),
        labels: { ...inst.labels, "weft.io/service": s.name, ...(inst.version !== undefined && { version: inst.version }) },
      });
      snapshot.endpoints.push({
        service: s.name,
        namespace: s.namespace,
        address: inst.address,
        port: inst.port,
        protocol,
        ready: inst.ready,
        workload: name,
        ...(inst.version !== undefined && { version: inst.version }),
        ...(inst.zone !== undefined && { zone: inst.zone }),
        // Other clusters reach it through the east-west gateway only when a proxy terminates their mTLS.
        sidecar: inst.proxy !== undefined,
      });
    });
    snapshot.services.push({ name: s.name, namespace: s.namespace, ports: [...ports.values()], labels: s.labels });
  }
  return snapshot;
}

/** The instances with a `proxy` section: the ones this agent supervises. */
export function localInstances(file: UniversalFile): LocalInstance[] {
  return file.services.flatMap((s) =>
    s.instances.flatMap((inst, i) => {
      if (!inst.proxy) return [];
      const name = instanceName(s.name, i, inst.name);
      return [
        {
          id: `${s.namespace}/${name}`,
          name,
          service: s.name,
          namespace: s.namespace,
          address: inst.address,
          port: inst.port,
          servicePort: servicePortOf(inst),
          protocol: inst.protocol ?? s.protocol,
          serviceAccount: inst.serviceAccount,
          proxy: inst.proxy,
          ...(inst.version !== undefined && { version: inst.version }),
          ...(inst.zone !== undefined && { zone: inst.zone }),
        },
      ];
    }),
  );
}
