import { z } from "zod";
import { AuthorizationPolicySchema } from "../authorization-policy/authorization-policy.schema.ts";
import { DEFAULT_NAMESPACE } from "../common/metadata.ts";
import { ExternalServiceSchema } from "../external-service/external-service.schema.ts";
import { GatewaySchema } from "../gateway/gateway.schema.ts";
import { HTTPRouteSchema } from "../http-route/http-route.schema.ts";
import { MeshSchema } from "../mesh/mesh.schema.ts";
import { PeerAuthenticationSchema } from "../peer-authentication/peer-authentication.schema.ts";
import { RolloutSchema } from "../rollout/rollout.schema.ts";
import { RequestAuthenticationSchema } from "../request-authentication/request-authentication.schema.ts";
import { ServiceLevelObjectiveSchema } from "../service-level-objective/service-level-objective.schema.ts";
import { SidecarSchema } from "../sidecar/sidecar.schema.ts";
import { TrafficPolicySchema } from "../traffic-policy/traffic-policy.schema.ts";

// The kind registry. A new kind (Rollout, SLO, Webhook, ...) is one schema
// built with defineResource() and one entry here; everything below derives from it.
const KIND_SCHEMA_LIST = [
  MeshSchema,
  HTTPRouteSchema,
  TrafficPolicySchema,
  AuthorizationPolicySchema,
  RequestAuthenticationSchema,
  PeerAuthenticationSchema,
  GatewaySchema,
  ExternalServiceSchema,
  ServiceLevelObjectiveSchema,
  RolloutSchema,
  SidecarSchema,
] as const;

/** Kinds that live outside namespaces (their metadata has no namespace). */
const MESH_WIDE_KINDS: ReadonlySet<string> = new Set(["Mesh"]);

/** Any Weft resource, discriminated by `kind`. */
export const ResourceSchema = z.discriminatedUnion("kind", KIND_SCHEMA_LIST).describe("A Weft resource.");
export type Resource = z.infer<typeof ResourceSchema>;
/** The input (writable) form of a resource: defaults may be omitted. */
export type ResourceInput = z.input<typeof ResourceSchema>;
export type Kind = Resource["kind"];
/** The resource type of one kind, e.g. `ResourceOfKind<"HTTPRoute">`. */
export type ResourceOfKind<K extends Kind> = Extract<Resource, { kind: K }>;

/** Every kind, in registry order. */
export const KINDS: readonly Kind[] = KIND_SCHEMA_LIST.map((schema) => schema.shape.kind.value);

/** The document schema of each kind. */
export const KIND_SCHEMAS: { readonly [K in Kind]: z.ZodType<ResourceOfKind<K>, unknown> } = Object.fromEntries(
  KIND_SCHEMA_LIST.map((schema) => [schema.shape.kind.value, schema]),
) as unknown as { readonly [K in Kind]: z.ZodType<ResourceOfKind<K>, unknown> };

/** True when `kind` names a registered kind. */
export function isKind(kind: unknown): kind is Kind {
  return typeof kind === "string" && (KINDS as readonly string[]).includes(kind);
}

/** True when resources of `kind` are namespaced. */
export function isNamespaced(kind: Kind): boolean {
  return !MESH_WIDE_KINDS.has(kind);
}

/** The namespace of a resource (`default` when omitted), or `undefined` for mesh-wide kinds. */
export function namespaceOf(resource: Resource): string | undefined {
  if (!isNamespaced(resource.kind)) return undefined;
  return ("namespace" in resource.metadata ? resource.metadata.namespace : undefined) ?? DEFAULT_NAMESPACE;
}

/** Identifies one resource: kind, namespace (namespaced kinds only) and name. */
export interface ResourceRef {
  kind: Kind;
  name: string;
  namespace?: string;
}

/** The reference of a resource. */
export function refOf(resource: Resource): ResourceRef {
  const namespace = namespaceOf(resource);
  return namespace === undefined ? { kind: resource.kind, name: resource.metadata.name } : { kind: resource.kind, name: resource.metadata.name, namespace };
}

/** A stable string key for a resource: `HTTPRoute/shop/checkout`, `Mesh/default`. */
export function resourceKey(ref: ResourceRef): string {
  return ref.namespace === undefined ? `${ref.kind}/${ref.name}` : `${ref.kind}/${ref.namespace}/${ref.name}`;
}
