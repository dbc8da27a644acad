// Per-namespace and per-service mTLS mode overrides, after Istio's
// PeerAuthentication and Kuma's MeshTLS: the Mesh sets the mesh-wide mode, a
// PeerAuthentication without targetRef overrides it for its namespace, one
// with a targetRef for one service of that namespace. The most specific wins.
import { z } from "zod";
import { MetadataSchema, defineResource } from "../common/metadata.ts";
import { DnsLabelSchema } from "../common/names.ts";
import { MtlsModeSchema } from "../mesh/mesh.schema.ts";

export const PeerAuthenticationSpecSchema = z
  .strictObject({
    targetRef: z
      .strictObject({
        kind: z.literal("Service").default("Service").describe('Kind of the target; only "Service".'),
        name: DnsLabelSchema.describe("Name of a service in the resource's namespace."),
      })
      .optional()
      .describe("The service whose inbound proxies this applies to; every service of the resource's namespace when omitted."),
    mtls: z
      .strictObject({
        mode: MtlsModeSchema,
      })
      .describe("Mutual TLS on the inbound side of the target's proxies."),
  })
  .describe("The mTLS mode of a namespace or one service, overriding the Mesh's.");

/** An mTLS mode override for a namespace or a service. */
export const PeerAuthenticationSchema = defineResource({
  kind: "PeerAuthentication",
  metadata: MetadataSchema,
  spec: PeerAuthenticationSpecSchema,
  description: "Set the mutual TLS mode (STRICT or PERMISSIVE) of one namespace, or of one service in it, overriding the Mesh's mode.",
});
export type PeerAuthentication = z.infer<typeof PeerAuthenticationSchema>;
export type PeerAuthenticationInput = z.input<typeof PeerAuthenticationSchema>;

/** What a PeerAuthentication selects: `<namespace>/<service>`, or `<namespace>/*` for the whole namespace. */
export function peerAuthenticationTarget(resource: PeerAuthentication): string {
  return `${resource.metadata.namespace ?? "default"}/${resource.spec.targetRef?.name ?? "*"}`;
}
