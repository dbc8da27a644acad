// Egress scoping, after Istio's Sidecar (spec.egress[].hosts): which services a
// workload's proxy config includes. Without one a proxy gets a virtual host
// and backends for every service of the mesh (the default, unchanged), so its
// config and its compile grow with the mesh and every change anywhere
// recompiles it. A Sidecar without targetRef scopes every workload of its
// namespace; one with a targetRef scopes one service's workloads and wins over
// the namespace's. The scoped proxy gets virtual hosts for the hosts listed
// (plus the services it has local ports for) and the backends their routes
// send to; a call to anything else answers 404 (no route), as an unknown host does.
import { z } from "zod";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema, isDnsLabel } from "../common/names.ts";

/** One entry of `spec.egress.hosts`: `<namespace>/<service>`, where the namespace may be `.` (the Sidecar's own) or `*`, and the service `*`. */
export const EgressHostSchema = z
  .string()
  .superRefine((text, ctx) => {
    const parts = text.split("/");
    if (parts.length !== 2) {
      ctx.addIssue({ code: "custom", message: `"${text}" must be <namespace>/<service>, e.g. "shop/*", "./reviews" or "*/*"` });
      return;
    }
    const [namespace = "", service = ""] = parts;
    if (namespace !== "." && namespace !== "*" && !isDnsLabel(namespace))
      ctx.addIssue({ code: "custom", message: `namespace "${namespace}" must be a DNS-1123 label, "." (this namespace) or "*" (every namespace)` });
    if (service !== "*" && !isDnsLabel(service)) ctx.addIssue({ code: "custom", message: `service "${service}" must be a DNS-1123 label or "*" (every service of the namespace)` });
  })
  .describe('A service, or a namespace\'s services, the proxy may call: "<namespace>/<service>". "." is the Sidecar\'s own namespace, "*" any namespace or any service ("shop/*", "./reviews", "*/*"). ExternalServices are matched by their namespace and name.');

export const SidecarSpecSchema = z
  .strictObject({
    targetRef: z
      .strictObject({
        kind: z.literal("Service").default("Service").describe('Kind of the target; only "Service".'),
        name: DnsLabelSchema.describe("Name of a service in the resource's namespace."),
      })
      .optional()
      .describe("The service whose proxies this scopes; every workload of the resource's namespace when omitted."),
    egress: z
      .strictObject({
        hosts: z.array(EgressHostSchema).min(1, { message: "list at least one host; \"*/*\" is every service" }).max(1024).describe("The services the proxies may call (their config has a virtual host for each)."),
      })
      .describe("What the proxies' outbound side may reach."),
  })
  .describe("Which services the proxies of a namespace, or of one service in it, are configured to call.");

/** An egress scope for a namespace or a service's proxies. */
export const SidecarSchema = defineResource({
  kind: "Sidecar",
  metadata: MetadataSchema,
  spec: SidecarSpecSchema,
  description: "Limit the services the proxies of a namespace, or of one service in it, are configured to call (egress scoping, like Istio's Sidecar).",
});
export type Sidecar = z.infer<typeof SidecarSchema>;
export type SidecarInput = z.input<typeof SidecarSchema>;

/** What a Sidecar selects: `<namespace>/<service>`, or `<namespace>/*` for the whole namespace. */
export function sidecarTarget(resource: Sidecar): string {
  return `${resource.metadata.namespace ?? "default"}/${resource.spec.targetRef?.name ?? "*"}`;
}

/** A parsed host entry: the namespace (resolved for "."; "*" for any) and service ("*" for any). */
export interface EgressHost {
  namespace: string;
  service: string;
}

/** The hosts of a Sidecar with "." resolved to its namespace. */
export function egressHosts(resource: Sidecar): EgressHost[] {
  const own = resource.metadata.namespace ?? "default";
  return resource.spec.egress.hosts.map((h) => {
    const [namespace = "*", service = "*"] = h.split("/");
    return { namespace: namespace === "." ? own : namespace, service };
  });
}

/** True when one of `hosts` matches the service (or ExternalService) `namespace/name`. */
export function egressAllows(hosts: readonly EgressHost[], namespace: string, name: string): boolean {
  return hosts.some((h) => (h.namespace === "*" || h.namespace === namespace) && (h.service === "*" || h.service === name));
}
