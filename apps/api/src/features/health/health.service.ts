import type { Database, DatabaseHealth } from "@weft/db";

/** The manager's own view of its health, as served by `/healthz` and `health.status`. */
export interface HealthReport {
  status: "ok" | "degraded";
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
