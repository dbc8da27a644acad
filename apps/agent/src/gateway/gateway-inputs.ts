// What the east-west gateway compiler reads, from the universal file: the
// gateway's ports and the local instances that have a proxy (the gateway hands
// callers' mTLS connections to those proxies; a bare app could not terminate
// them). Pure.
import type { ClusterConfig, EastWestGateway } from "@weft/mesh-model";
import type { GatewayCompileInputRaw } from "@weft/mesh-model/compiler";
import { catalogEntry, resourceEntries, versionAndZone } from "../mesh-config/compile-inputs.ts";
import { servicePortOf } from "../universal/universal-catalog.ts";
import type { UniversalFile } from "../universal/universal-file.schema.ts";

/** The supervisor id of the gateway proxy (never a `<namespace>/<instance>` id, which always has a slash). */
export const GATEWAY_PROXY_ID = "east-west-gateway";

/** The gateway the agent reports to the manager, or null when the file declares none. */
export function reportedGateway(file: UniversalFile | undefined): EastWestGateway | null {
  return file?.gateway ? { address: file.gateway.address, port: file.gateway.port } : null;
}

/**
 * The gateway's compile input, or undefined when the file declares no gateway.
 * Services the mesh does not export (`exported`, from the Mesh's
 * `spec.multicluster.export`) get no route: a caller that names one anyway is
 * refused at the gateway (unknown server name), never passed through.
 */
export function gatewayCompileInput(
  file: UniversalFile,
  cluster: string,
  exported: (namespace: string, name: string) => boolean = () => true,
  resources: NonNullable<GatewayCompileInputRaw["resources"]> = [],
): GatewayCompileInputRaw | undefined {
  const gateway = file.gateway;
  if (!gateway) return undefined;
  const services = file.services.filter((s) => exported(s.namespace, s.name)).flatMap((s) =>
    catalogEntry(
      s,
      s.instances.filter((inst) => inst.proxy !== undefined),
      cluster,
      (inst) => ({
        address: inst.address,
        port: inst.proxy!.inboundPort,
        // The server name names the service port; the instance's inbound proxy serves it (and forwards to the app's own port).
        ports: { [String(servicePortOf(inst))]: inst.proxy!.inboundPort },
        cluster,
        ready: inst.ready,
        ...versionAndZone(inst),
      }),
    ),
  );
  return {
    cluster,
    gateway: { address: gateway.bindAddress, port: gateway.port, adminPort: gateway.adminPort, ...(gateway.zone !== undefined && { zone: gateway.zone }) },
    catalog: { services },
    ...(resources.length > 0 && { resources }),
  };
}

/**
 * The resources the gateway compiler reads (TrafficPolicies for their
 * locality entries, the Mesh for its defaults), so an edit of any other kind
 * does not even recompile the gateway.
 */
export function gatewayPolicyEntries(config: ClusterConfig | undefined): NonNullable<GatewayCompileInputRaw["resources"]> {
  return resourceEntries(config).filter((e) => e.resource.kind === "TrafficPolicy" || e.resource.kind === "Mesh");
}
