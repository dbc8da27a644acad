// The audit page's filters, read from the URL and turned into audit.list input.

export const OUTCOMES = ["SUCCESS", "FAILURE", "DENIED"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface AuditFilters {
  actor: string;
  action: string;
  target: string;
  outcome: Outcome | "";
}

export function parseAuditFilters(params: Pick<URLSearchParams, "get">): AuditFilters {
  const outcome = params.get("outcome") ?? "";
  return {
    actor: params.get("actor")?.trim() ?? "",
    action: params.get("action")?.trim() ?? "",
    target: params.get("target")?.trim() ?? "",
    outcome: (OUTCOMES as readonly string[]).includes(outcome) ? (outcome as Outcome) : "",
  };
}

/** audit.list input: blank filters left out, the shell's time range as from/to, a page cursor. */
export function auditInput(filters: AuditFilters, window: { from: Date; to: Date }, before: bigint | null, limit = 50) {
  return {
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.target ? { target: filters.target } : {}),
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
    from: window.from,
    to: window.to,
    ...(before !== null ? { before } : {}),
    limit,
  };
}
