import { TRPCClientError } from "@trpc/client";
import type { HealthReport } from "@weft/api";

/** How alarming a value is; the stylesheet colours by it, the text says it. */
export type Tone = "ok" | "warning" | "critical";

export interface StatusView {
  tone: Tone;
  label: string;
}

/** The manager's overall status as the dashboard shows it. */
export function describeOverall(status: HealthReport["status"]): StatusView {
  return status === "ok" ? { tone: "ok", label: "Healthy" } : { tone: "warning", label: "Degraded" };
}

/** The database's reachability as the dashboard shows it. */
export function describeDatabaseStatus(status: HealthReport["database"]["status"]): StatusView {
  return status === "up" ? { tone: "ok", label: "Up" } : { tone: "critical", label: "Down" };
}

/** Which PostgreSQL the manager runs on. */
export function describeDatabaseKind(kind: HealthReport["database"]["kind"]): string {
  return kind === "embedded" ? "Embedded" : "External";
}

/** Uptime in its two largest units: "42s", "3m 5s", "2h 10m", "4d 1h 30m". */
export function formatUptime(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return "unknown";
  const s = Math.floor(totalSeconds);
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  const seconds = s % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}

/** A query's round trip; absent when the database did not answer. */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "n/a";
  if (ms < 1) return "<1 ms";
  if (ms < 10) return `${(Math.round(ms * 10) / 10).toFixed(1)} ms`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1_000).toFixed(2)} s`;
}

/** What the dashboard knows about a failed health request. */
export type HealthFailure =
  /** The manager API could not be reached (connection refused, proxy error, network down). */
  | { kind: "unreachable"; message: string }
  /** The manager answered, with a tRPC error. */
  | { kind: "manager-error"; code: string; message: string };

export interface FailureView {
  title: string;
  detail: string;
  hint?: string;
}

/** The error panel's text for a failed health request. */
export function describeHealthFailure(failure: HealthFailure): FailureView {
  if (failure.kind === "manager-error") {
    return { title: "The manager could not report its health", detail: `${failure.code}: ${failure.message}` };
  }
  return {
    title: "Cannot reach the Weft manager API",
    detail: failure.message,
    hint: "Check that weft-manager is running and that WEFT_API_HOST and WEFT_API_PORT point at it.",
  };
}

/** Sorts a failed request: tRPC sets `data.code` only when the manager itself answered. */
export function toHealthFailure(error: unknown): HealthFailure {
  if (error instanceof TRPCClientError) {
    const code: unknown = (error.data as { code?: unknown } | null | undefined)?.code;
    if (typeof code === "string") return { kind: "manager-error", code, message: error.message };
  }
  return { kind: "unreachable", message: error instanceof Error ? error.message : String(error) };
}
