// A resource as the compiler indexes it: a leaf type the compiler's units and
// the egress scope share without importing the compile context.
import type { Resource, ResourceOfKind } from "../resource/resource.schema.ts";

/** A resource with its key and creation time (ms). */
export interface Indexed<K extends Resource["kind"]> {
  resource: ResourceOfKind<K>;
  key: string;
  namespace: string;
  createdAt: number;
  createdAtText: string;
}

/** Resources of one compilation grouped by kind, oldest first. */
export type ResourcesByKind = { [K in Resource["kind"]]: Indexed<K>[] };
