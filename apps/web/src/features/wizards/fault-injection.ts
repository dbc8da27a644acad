// The fault-injection wizard's model: a delay and/or an abort for a share of
// the requests to a service, optionally only for requests with a header, as
// the FaultInjection filter of the route's catch-all rule (mesh-model's
// FaultInjectionSchema: delay.fixedDelay/percentage, abort.httpStatus or
// grpcStatus/percentage, headers). The route stays an ordinary HTTPRoute, so
// the wizard reopens from it like any route.
import { formatPath, type GRPC_STATUS_CODES, type HeaderMatch } from "@weft/mesh-model";
import { catchAllIndex, type RouteDoc } from "./traffic-shift.ts";

export type GrpcStatusName = keyof typeof GRPC_STATUS_CODES;

/** What the form edits. Numbers are what the inputs hold (NaN when a box is empty: the schema names it). */
export interface FaultDraft {
  delay: { enabled: boolean; fixedDelay: string; percentage: number };
  abort: { enabled: boolean; status: "http" | "grpc"; httpStatus: number; grpcStatus: GrpcStatusName; percentage: number };
  /** The header a request must carry to be faulted (the first of the filter's header matches). */
  header: { enabled: boolean; type: "Exact" | "RegularExpression"; name: string; value: string };
  /** Further header matches of a stored fault: the form does not show them, the document keeps them. */
  otherHeaders: HeaderMatch[];
}

/** A fresh fault: 10 % of requests answered 503, no delay, every request eligible. */
export const NEW_FAULT: FaultDraft = {
  delay: { enabled: false, fixedDelay: "2s", percentage: 10 },
  abort: { enabled: true, status: "http", httpStatus: 503, grpcStatus: "UNAVAILABLE", percentage: 10 },
  header: { enabled: false, type: "Exact", name: "x-weft-fault", value: "1" },
  otherHeaders: [],
};

type Filter = { type?: string; faultInjection?: StoredFault; [k: string]: unknown };
interface StoredFault {
  delay?: { fixedDelay?: string; percentage?: number };
  abort?: { httpStatus?: number; grpcStatus?: GrpcStatusName; percentage?: number };
  headers?: HeaderMatch[];
}

/** Where the wizard's fault lives in a route: the catch-all rule, its FaultInjection filter (or the next free slot). */
export function faultLocation(route: RouteDoc | null): { rule: number; filter: number; exists: boolean } {
  const rule = catchAllIndex(route);
  const filters = (route?.spec.rules?.[rule]?.filters ?? []) as Filter[];
  const i = filters.findIndex((f) => f.type === "FaultInjection");
  return { rule, filter: i >= 0 ? i : filters.length, exists: i >= 0 };
}

/** The resource path of the fault (`spec.rules[1].filters[0].faultInjection`), for placing the schema's issues at the form's fields. */
export function faultPath(route: RouteDoc | null): string {
  const { rule, filter } = faultLocation(route);
  return formatPath(["spec", "rules", rule, "filters", filter, "faultInjection"]);
}

/** The resource paths the form has an input for. */
export function faultFields(route: RouteDoc | null): string[] {
  const base = faultPath(route);
  return ["delay.fixedDelay", "delay.percentage", "abort.httpStatus", "abort.grpcStatus", "abort.percentage", "headers[0].name", "headers[0].value", "headers[0].type"].map((f) => `${base}.${f}`);
}

/** The draft a stored route's fault reopens as; a new fault when the route has none. */
export function faultDraftOf(route: RouteDoc | null): FaultDraft {
  const { rule, filter, exists } = faultLocation(route);
  if (!exists) return structuredClone(NEW_FAULT);
  const fault = ((route?.spec.rules?.[rule]?.filters ?? []) as Filter[])[filter]?.faultInjection ?? {};
  const [first, ...rest] = fault.headers ?? [];
  return {
    delay: fault.delay ? { enabled: true, fixedDelay: fault.delay.fixedDelay ?? "", percentage: fault.delay.percentage ?? 100 } : { ...NEW_FAULT.delay },
    abort: fault.abort
      ? {
          enabled: true,
          status: fault.abort.grpcStatus !== undefined ? "grpc" : "http",
          httpStatus: fault.abort.httpStatus ?? NEW_FAULT.abort.httpStatus,
          grpcStatus: fault.abort.grpcStatus ?? NEW_FAULT.abort.grpcStatus,
          percentage: fault.abort.percentage ?? 100,
        }
      : { ...NEW_FAULT.abort, enabled: false },
    header: first ? { enabled: true, type: first.type ?? "Exact", name: first.name, value: first.value } : { ...NEW_FAULT.header },
    otherHeaders: rest,
  };
}

/** The FaultInjection the draft describes; null when neither a delay nor an abort is on. */
function faultOf(draft: FaultDraft): StoredFault | null {
  if (!draft.delay.enabled && !draft.abort.enabled) return null;
  const fault: StoredFault = {};
  if (draft.delay.enabled) fault.delay = { fixedDelay: draft.delay.fixedDelay.trim(), percentage: draft.delay.percentage };
  if (draft.abort.enabled)
    fault.abort = draft.abort.status === "http" ? { httpStatus: draft.abort.httpStatus, percentage: draft.abort.percentage } : { grpcStatus: draft.abort.grpcStatus, percentage: draft.abort.percentage };
  const headers = [...(draft.header.enabled ? [{ type: draft.header.type, name: draft.header.name.trim(), value: draft.header.value }] : []), ...draft.otherHeaders];
  if (headers.length > 0) fault.headers = headers;
  return fault;
}

/**
 * The HTTPRoute with the draft's fault: the catch-all rule's FaultInjection
 * filter replaced (or added); everything else of the route kept. Without a
 * route, a new one named after the service sending to all its versions.
 * With neither a delay nor an abort on, an existing fault is removed; a new
 * route gets the empty fault, which the schema refuses with its message.
 */
export function faultedRoute(existing: RouteDoc | null, service: { namespace: string; name: string }, draft: FaultDraft): RouteDoc {
  const route: RouteDoc = existing
    ? structuredClone(existing)
    : { apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name: service.name, namespace: service.namespace }, spec: { parentRefs: [{ kind: "Service", name: service.name }], rules: [] } };
  const { rule, filter, exists } = faultLocation(route);
  const rules = [...(route.spec.rules ?? [])];
  const target = { ...(rules[rule] ?? { backendRefs: [{ kind: "Service", name: service.name }] }) };
  const filters = [...((target.filters ?? []) as Filter[])];
  const fault = faultOf(draft);
  if (fault === null && exists) filters.splice(filter, 1);
  else filters[filter] = { type: "FaultInjection", faultInjection: fault ?? {} };
  if (filters.length > 0) target.filters = filters;
  else delete target.filters;
  rules[rule] = target;
  return { ...route, spec: { ...route.spec, rules } };
}

/** The fault in words, for the form's summary line. */
export function faultSummary(draft: FaultDraft, service: string): string {
  const parts: string[] = [];
  if (draft.delay.enabled) parts.push(`delay ${draft.delay.percentage} % of requests by ${draft.delay.fixedDelay}`);
  if (draft.abort.enabled) parts.push(`answer ${draft.abort.percentage} % with ${draft.abort.status === "http" ? `HTTP ${draft.abort.httpStatus}` : `gRPC ${draft.abort.grpcStatus}`}`);
  if (parts.length === 0) return `No fault: requests to ${service} are left alone.`;
  const scope = draft.header.enabled ? ` carrying header ${draft.header.name} ${draft.header.type === "Exact" ? "=" : "matching"} ${draft.header.value}` : "";
  return `Requests to ${service}${scope}: ${parts.join(", and ")}.`;
}
