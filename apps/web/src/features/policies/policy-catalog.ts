import { servicesReferencedBy, type Resource } from "@weft/mesh-model";

/** The kinds the service-level editor offers. */
export const SERVICE_POLICY_KINDS = ["HTTPRoute", "TrafficPolicy", "AuthorizationPolicy", "ServiceLevelObjective"] as const;
export type ServicePolicyKind = (typeof SERVICE_POLICY_KINDS)[number];

export interface ResourceRow {
  kind: string;
  namespace: string;
  name: string;
  revision: number;
  updatedAt: Date;
  document: Resource | null;
}

/** A service by namespace and name. */
export interface ServiceRef {
  namespace: string;
  name: string;
}

/**
 * The resources that apply to a service: routes attached to it (or sending to
 * it), traffic and authorization policies targeting it, and namespace-wide
 * (`*`) targets. Deleted resources are skipped.
 */
export function policiesForService(rows: readonly ResourceRow[], service: ServiceRef): (ResourceRow & { roles: string[] })[] {
  const out: (ResourceRow & { roles: string[] })[] = [];
  for (const row of rows) {
    if (!row.document) continue;
    const roles = servicesReferencedBy(row.document)
      .filter((r) => r.namespace === service.namespace && (r.name === service.name || r.name === "*"))
      .map((r) => r.role);
    if (roles.length > 0) out.push({ ...row, roles: [...new Set(roles)] });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** Filters the Policies list by kind, namespace and a name search. */
export function filterResources<T extends Pick<ResourceRow, "kind" | "namespace" | "name">>(rows: readonly T[], filter: { kind?: string | null; namespace?: string | null; search?: string | null }): T[] {
  const q = filter.search?.trim().toLowerCase() ?? "";
  return rows.filter(
    (r) => (!filter.kind || r.kind === filter.kind) && (!filter.namespace || r.namespace === filter.namespace) && (!q || `${r.namespace}/${r.name}`.toLowerCase().includes(q)),
  );
}

/** A new resource of `kind` for a service, filled enough to be valid once named. */
export function newPolicyFor(kind: ServicePolicyKind, service: ServiceRef): Record<string, unknown> {
  const suffix = { HTTPRoute: "", TrafficPolicy: "-traffic", AuthorizationPolicy: "-authz", ServiceLevelObjective: "-availability" }[kind];
  const metadata = { name: `${service.name}${suffix}`, namespace: service.namespace };
  const base = { apiVersion: "weft.io/v1alpha1", kind, metadata };
  switch (kind) {
    case "HTTPRoute":
      return { ...base, spec: { parentRefs: [{ kind: "Service", name: service.name }], rules: [{ backendRefs: [{ kind: "Service", name: service.name, weight: 1 }] }] } };
    case "TrafficPolicy":
      return { ...base, spec: { targetRef: { name: service.name }, timeouts: { request: "15s" } } };
    case "AuthorizationPolicy":
      return { ...base, spec: { targetRef: { name: service.name }, action: "ALLOW", rules: [{ from: { namespaces: [service.namespace] } }] } };
    case "ServiceLevelObjective":
      return { ...base, spec: { service: { name: service.name }, indicator: { type: "availability" }, objective: 99.9, window: "30d" } };
  }
}
