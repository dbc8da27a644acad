// Test-only builders (not exported from the package).
import type { MeshSnapshot } from "../analysis/snapshot.ts";
import type { CompileInputRaw } from "../compiler/index.ts";
import { validateResource } from "../resource/resource-codec.ts";
import { KIND_SCHEMAS, type Kind, type ResourceInput, type ResourceOfKind } from "../resource/resource.schema.ts";

type SpecInput<K extends Kind> = Extract<ResourceInput, { kind: K }>["spec"];

type CatalogServiceInput = NonNullable<NonNullable<CompileInputRaw["catalog"]>["services"]>[number];

/** The reviews service of namespace shop (HTTP on 9080) in `cluster`, as the compiler's catalog lists it. */
export function reviewsService(cluster: string, endpoints: CatalogServiceInput["endpoints"]): CatalogServiceInput {
  return { name: "reviews", namespace: "shop", cluster, ports: [{ port: 9080, protocol: "HTTP" }], endpoints };
}

/** The proxy ports of the compiler tests' workloads. */
export const PROXY_PORTS = { outboundPort: 15001, inboundPort: 15006, adminPort: 15000 } as const;

/** A workload identity of trust domain mesh.test whose SVID and bundle are files. */
export const FILE_IDENTITY = {
  trustDomain: "mesh.test",
  svid: { source: "file", certChainPath: "/run/weft/svid.pem", keyPath: "/run/weft/key.pem" },
  trustBundle: { source: "file", path: "/run/weft/bundle.pem" },
} as const;

/** A valid resource of `kind` (defaults applied); throws when the input is invalid, so fixtures stay honest. */
export function make<K extends Kind>(kind: K, name: string, spec: SpecInput<K>, namespace = "shop"): ResourceOfKind<K> {
  const metadata = kind === "Mesh" ? { name } : { name, namespace };
  return KIND_SCHEMAS[kind].parse({ apiVersion: "weft.io/v1alpha1", kind, metadata, spec });
}

/** `path: code` of every issue of a document, in report order; `[]` when valid. */
export function issuesOf(value: unknown): string[] {
  const result = validateResource(value);
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.code}`);
}

/** A raw document of `kind` for validation tests. */
export function doc(kind: string, spec: unknown, metadata: Record<string, unknown> = { name: "example", namespace: "shop" }): Record<string, unknown> {
  return { apiVersion: "weft.io/v1alpha1", kind, metadata, spec };
}

/**
 * A small mesh: shop/checkout (v1, v2; port 8080), shop/cart (v1; port 8080)
 * and shop/frontend (v1; port 80), with one workload each.
 */
export function baseSnapshot(overrides: Partial<MeshSnapshot> = {}): MeshSnapshot {
  return {
    resources: [],
    trustDomain: "weft.local",
    services: [
      { name: "checkout", namespace: "shop", cluster: "east", versions: ["v1"], ports: [{ port: 8080 }] },
      { name: "checkout", namespace: "shop", cluster: "west", versions: ["v2"], ports: [{ port: 8080 }] },
      { name: "cart", namespace: "shop", versions: ["v1"], ports: [{ port: 8080 }] },
      { name: "frontend", namespace: "shop", versions: ["v1"], ports: [{ port: 80 }] },
    ],
    workloads: [
      { name: "checkout-v1-abc", namespace: "shop", serviceAccount: "checkout", cluster: "east" },
      { name: "cart-v1-abc", namespace: "shop", serviceAccount: "cart" },
      { name: "frontend-v1-abc", namespace: "shop", serviceAccount: "frontend" },
      { name: "batch-abc", namespace: "jobs", serviceAccount: "batch" },
    ],
    ...overrides,
  };
}

/** `CODE Kind/ns/name path` of every finding of `analyze`, for compact assertions. */
export function findingLines(findings: readonly { code: string; path: string; resource: { kind: string; name: string; namespace?: string } }[]): string[] {
  return findings.map((f) => `${f.code} ${[f.resource.kind, f.resource.namespace, f.resource.name].filter(Boolean).join("/")} ${f.path}`);
}
