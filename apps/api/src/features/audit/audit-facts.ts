// What a service tells the audit log about a call, without knowing the
// request: it returns facts with its value (`Audited<T>`), or attaches them to
// the error it throws; the router hands them to the middleware that writes
// the call's audit event (trpc.ts: `audited`, `noteAudit`).

/** How an audited action ended. */
export type AuditOutcome = "SUCCESS" | "FAILURE" | "DENIED";

/** Who performed an audited action. */
export type ActorType = "USER" | "TOKEN" | "AGENT" | "SYSTEM";

/** What a call acted on, as its audit event records it. */
export interface AuditFacts {
  /** The object acted on, e.g. `User/otto`, `TrafficPolicy/shop/cart`. */
  target?: string | undefined;
  namespace?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

/** A service's answer with the facts its audit event records. */
export interface Audited<T> {
  value: T;
  audit: AuditFacts;
}

const factsOfErrors = new WeakMap<object, AuditFacts>();

/**
 * Marks an error with the facts known when it was thrown (a blocked change
 * names the resources it touched): the failure's audit event carries them.
 * Returns the error, to be thrown.
 */
export function withAuditFacts<E>(error: E, facts: AuditFacts): E {
  if (typeof error === "object" && error !== null) factsOfErrors.set(error, facts);
  return error;
}

/** The facts `withAuditFacts` attached to an error, if any. */
export function auditFactsOf(error: unknown): AuditFacts | undefined {
  return typeof error === "object" && error !== null ? factsOfErrors.get(error) : undefined;
}
