// Sentences that say why a node or edge is unhealthy, from the manager's
// failure causes (telemetry.failureCauses) and the edge's own numbers.
import { formatPercent } from "../ui/format.ts";
import { describeFlags, describeStatus } from "./response-flags.ts";

/** One cause as telemetry.failureCauses returns it. */
export interface FailureCauseLike {
  statusCode: number | null;
  responseFlags: string;
  recordedBy: { cluster: string; namespace: string; service: string; kind: "SERVER" | "CLIENT" };
  count: number;
  percent: number;
  traceIds: string[];
}

/** The services at either end, to tell whether the hop that gave up was in between. */
export interface ReasonContext {
  source?: { namespace: string; service: string } | undefined;
  destination: { namespace: string; service: string };
}

/** Where the cause was seen: "via east's gateway" when a hop between caller and callee gave up; empty otherwise. */
function where(cause: FailureCauseLike, context: ReasonContext): string {
  const r = cause.recordedBy;
  const same = (s: { namespace: string; service: string } | undefined) => s !== undefined && s.namespace === r.namespace && s.service === r.service;
  if (same(context.destination)) return r.cluster ? ` at ${r.cluster}'s ${r.service}` : "";
  if (same(context.source)) return "";
  const hop = /gateway/i.test(r.service) ? "gateway" : `${r.namespace}/${r.service}`;
  return ` via ${r.cluster ? `${r.cluster}'s ` : ""}${hop}`;
}

/**
 * "100 % 503 UF: upstream connection failed via east's gateway": share of
 * requests, status, flags, the flags in words, and where it happened.
 */
export function causeSentence(cause: FailureCauseLike, context: ReasonContext): string {
  const status = cause.statusCode === null ? "" : cause.statusCode === 0 ? "no response" : String(cause.statusCode);
  const flags = cause.responseFlags && cause.responseFlags !== "-" ? cause.responseFlags : "";
  const words = flags ? describeFlags(flags) : describeStatus(cause.statusCode);
  const code = [status, flags].filter(Boolean).join(" ");
  return `${formatPercent(cause.percent).replace("%", " %")} ${code}: ${words}${where(cause, context)}`;
}

/** The thresholds' side of "why": which numbers crossed which line, in words. */
export function thresholdReasons(stats: { errorPercent: number; p99: number | null }, t: { errorDegraded: number; errorFailing: number; p99Degraded: number; p99Failing: number }): string[] {
  const reasons: string[] = [];
  if (stats.errorPercent >= t.errorFailing) reasons.push(`errors ${formatPercent(stats.errorPercent)} ≥ ${t.errorFailing} % (failing)`);
  else if (stats.errorPercent >= t.errorDegraded) reasons.push(`errors ${formatPercent(stats.errorPercent)} ≥ ${t.errorDegraded} % (degraded)`);
  if (stats.p99 !== null && stats.p99 >= t.p99Failing) reasons.push(`p99 ${Math.round(stats.p99)} ms ≥ ${t.p99Failing} ms (failing)`);
  else if (stats.p99 !== null && stats.p99 >= t.p99Degraded) reasons.push(`p99 ${Math.round(stats.p99)} ms ≥ ${t.p99Degraded} ms (degraded)`);
  return reasons;
}
