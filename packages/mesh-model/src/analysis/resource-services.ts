import { namespaceOf, type Resource } from "../resource/resource.schema.ts";

/** How a resource refers to a service. */
export type ServiceRole =
  /** A route is attached to the service: it changes how callers reach it. */
  | "parent"
  /** Requests are sent (or mirrored) to the service. */
  | "backend"
  /** A policy configures the service itself (its inbound side, or callers' connections to it). */
  | "target";

/** A mesh service a resource refers to. `name` is `*` for "every service of the namespace". */
export interface ServiceReference {
  namespace: string;
  name: string;
  role: ServiceRole;
}

/**
 * The mesh services (not ExternalServices or Gateways) a resource names, each
 * once per role, in document order. Used for per-service history and to find
 * the workloads whose proxy configuration a change touches.
 */
export function servicesReferencedBy(resource: Resource): ServiceReference[] {
  const own = namespaceOf(resource) ?? "";
  const out: ServiceReference[] = [];
  const seen = new Set<string>();
  const add = (name: string, namespace: string | undefined, role: ServiceRole) => {
    const ref = { namespace: namespace ?? own, name, role };
    const key = `${ref.role}:${ref.namespace}/${ref.name}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(ref);
  };
  switch (resource.kind) {
    case "HTTPRoute":
      for (const parent of resource.spec.parentRefs) if (parent.kind === "Service") add(parent.name, parent.namespace, "parent");
      for (const rule of resource.spec.rules) {
        for (const backend of rule.backendRefs ?? []) if (backend.kind === "Service") add(backend.name, backend.namespace, "backend");
        for (const filter of rule.filters ?? [])
          if (filter.type === "RequestMirror" && filter.requestMirror.backendRef.kind === "Service")
            add(filter.requestMirror.backendRef.name, filter.requestMirror.backendRef.namespace, "backend");
      }
      break;
    case "TrafficPolicy":
    case "AuthorizationPolicy":
      add(resource.spec.targetRef.name, resource.spec.targetRef.namespace, "target");
      break;
    case "RequestAuthentication":
      if (resource.spec.targetRef) add(resource.spec.targetRef.name, resource.spec.targetRef.namespace, "target");
      else add("*", undefined, "target");
      break;
    case "PeerAuthentication":
    case "Sidecar":
      add(resource.spec.targetRef?.name ?? "*", undefined, "target");
      break;
    case "Rollout":
      // The rollout drives the service's route: it changes how callers reach the service.
      add(resource.spec.service.name, undefined, "target");
      break;
    case "ServiceLevelObjective":
      add(resource.spec.service.name, resource.spec.service.namespace, "target");
      break;
    case "Mesh":
    case "Gateway":
    case "ExternalService":
      break;
  }
  return out;
}

/**
 * Every namespace a resource acts in: its own (for namespaced kinds) and the
 * namespace of everything it references — route parents (services and
 * gateways), backends and mirrors (services and external services), policy
 * targets, and certificates. A resource in `shop` that targets
 * `payments/ledger` changes `payments`, so access checks and protected
 * namespaces must see both. Sorted, each once; empty for mesh-wide kinds
 * (they act on the whole mesh).
 */
export function namespacesReferencedBy(resource: Resource): string[] {
  const own = namespaceOf(resource);
  if (own === undefined) return [];
  const out = new Set<string>([own]);
  const add = (ref: { namespace?: string | undefined } | undefined) => {
    if (ref) out.add(ref.namespace ?? own);
  };
  switch (resource.kind) {
    case "HTTPRoute":
      for (const parent of resource.spec.parentRefs) add(parent);
      for (const rule of resource.spec.rules) {
        for (const backend of rule.backendRefs ?? []) add(backend);
        for (const filter of rule.filters ?? []) if (filter.type === "RequestMirror") add(filter.requestMirror.backendRef);
      }
      break;
    case "TrafficPolicy":
    case "AuthorizationPolicy":
    case "RequestAuthentication":
      add(resource.spec.targetRef);
      break;
    case "ServiceLevelObjective":
      add(resource.spec.service);
      break;
    case "Gateway":
      for (const listener of resource.spec.listeners) for (const cert of listener.tls?.certificateRefs ?? []) add(cert);
      break;
    case "ExternalService":
      add(resource.spec.tls?.caCertificateRef);
      add(resource.spec.tls?.clientCertificateRef);
      break;
    // A Sidecar changes what its own namespace's proxies may call, not the namespaces it lists.
    case "PeerAuthentication":
    case "Rollout":
    case "Mesh":
    case "Sidecar":
      break;
  }
  return [...out].sort();
}
