import { z } from "zod";
import { DnsLabelSchema, DnsSubdomainSchema, LabelValueSchema, QualifiedKeySchema } from "./names.ts";

/** The API group and version of every Weft resource. */
export const API_VERSION = "weft.io/v1alpha1";

/** The namespace a namespaced resource or reference is in when it does not say. */
export const DEFAULT_NAMESPACE = "default";

export const ApiVersionSchema = z.literal(API_VERSION).describe(`API group and version of the resource; always "${API_VERSION}".`);

const labels = z
  .record(QualifiedKeySchema, LabelValueSchema)
  .describe("Key/value labels for selecting and grouping resources (Kubernetes label syntax).");
const annotations = z
  .record(QualifiedKeySchema, z.string().describe("Annotation value: any text."))
  .describe("Free-form key/value notes for tools and people; not used for selection.");

/** Metadata of a namespaced resource. */
export const MetadataSchema = z
  .strictObject({
    name: DnsSubdomainSchema.describe("Name of the resource, unique per kind and namespace (DNS-1123 subdomain, at most 253 characters)."),
    namespace: DnsLabelSchema.optional().describe(`Namespace the resource belongs to (DNS-1123 label); "${DEFAULT_NAMESPACE}" when omitted.`),
    labels: labels.optional(),
    annotations: annotations.optional(),
  })
  .describe("Identity and labels of the resource.");
export type Metadata = z.infer<typeof MetadataSchema>;

/** Metadata of a mesh-wide (not namespaced) resource. */
export const ClusterMetadataSchema = z
  .strictObject({
    name: DnsSubdomainSchema.describe("Name of the resource, unique per kind (DNS-1123 subdomain, at most 253 characters)."),
    labels: labels.optional(),
    annotations: annotations.optional(),
  })
  .describe("Identity and labels of the resource (mesh-wide: no namespace).");
export type ClusterMetadata = z.infer<typeof ClusterMetadataSchema>;

/**
 * Builds the document schema of one kind: `apiVersion`, `kind`, `metadata`
 * and `spec`, unknown top-level fields rejected.
 */
export function defineResource<const K extends string, M extends z.ZodType, S extends z.ZodType>(options: {
  kind: K;
  metadata: M;
  spec: S;
  description: string;
}) {
  return z
    .strictObject({
      apiVersion: ApiVersionSchema,
      kind: z.literal(options.kind).describe(`Kind of the resource; "${options.kind}".`),
      metadata: options.metadata,
      spec: options.spec,
    })
    .describe(options.description);
}
