// The manager's public surface for other packages: types only for clients.
export type { AppRouter } from "./router.ts";
export type { HealthReport, HealthStatus } from "./features/health/health.service.ts";
export type { FieldError } from "./field-errors.ts";
export type { AffectedWorkload, ChangeResult, ImpactEstimate, ResourceChange } from "./features/resources/change-plan.ts";
export type { RevisionView, StoredResource } from "./features/resources/resources.repository.ts";
export type { ChangeRequestView } from "./features/change-requests/change-requests.repository.ts";
export type { AuditEventView } from "./features/audit/audit.repository.ts";
export type { UserView } from "./features/users/users.repository.ts";
export type { SessionView } from "./features/auth/auth.service.ts";
export type { SloSummary } from "./features/slo/slo.service.ts";
export type { Callee, EgressSuggestion, HostsDiff } from "./features/sidecars/egress-suggestion.ts";
export type { TicketRecord } from "./features/tickets/tickets.repository.ts";
export type { ClusterWeight, RolloutRunDetail, RolloutRunSummary } from "./features/rollouts/rollout-views.ts";
export type { Neighbour, TicketChange, TicketContext, TicketExemplar } from "./features/tickets/ticket-context.ts";
