// The manager's public surface for other packages: types only for clients.
export type { AppRouter } from "./router.ts";
export type { HealthReport } from "./features/health/health.service.ts";
export type { FieldError } from "./field-errors.ts";
