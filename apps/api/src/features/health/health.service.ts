import type { Database, DatabaseHealth } from "@weft/db";

/** What anyone may learn about the manager: up or not. Load balancers and probes need no more. */
export interface HealthStatus {
  status: "ok" | "degraded";
}

/**
 * The manager's own view of its health, for signed-in users (`health.report`,
 * and `/healthz` with credentials): version, uptime and where its database
 * is — facts that help an operator and an attacker alike, so never anonymous.
 */
export interface HealthReport extends HealthStatus {
  version: string;
  uptimeSeconds: number;
  database: DatabaseHealth;
}

export const MANAGER_VERSION = "0.1.0";

export async function checkHealth(db: Database, startedAt: Date, now = new Date()): Promise<HealthReport> {
  const database = await db.health();
  return {
    status: database.status === "up" ? "ok" : "degraded",
    version: MANAGER_VERSION,
    uptimeSeconds: Math.floor((now.getTime() - startedAt.getTime()) / 1000),
    database,
  };
}

/** The anonymous view of a report: the status alone. */
export function publicHealth(report: HealthReport): HealthStatus {
  return { status: report.status };
}
