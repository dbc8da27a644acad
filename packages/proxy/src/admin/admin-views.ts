// What the admin listener shows about the running proxy: /stats, /outliers,
// /config (private keys redacted) and the gauges of /metrics. Read-only
// views over the proxy's state; nothing here changes it.
import type { ProxyConfig } from "@weft/mesh-model/proxy-config";
import type { IdentityMaterial } from "../core/identity-material.ts";
import type { Snapshot } from "../http/snapshot.ts";
import { Gauge, type ProxyMetrics } from "../observability/metrics.ts";
import type { RequestRecorder } from "../observability/request-recorder.ts";
import type { HealthEvents } from "../observability/resilience-events.ts";
import { materialInUse } from "../security/workload-identity.ts";
import type { BackendRegistry } from "../upstream/backend-registry.ts";

/** The proxy state the views read. */
export interface ProxyState {
  snapshot(): Snapshot | undefined;
  ready(): boolean;
  identity(): IdentityMaterial | undefined;
  readonly registry: BackendRegistry;
  readonly healthEvents: HealthEvents;
  readonly recorder: RequestRecorder;
  listeners(): { name: string; kind: string; address: string; port: number }[];
  drainingListeners(): number;
  configCounters(): { applied: number; rejected: number; lastRejection?: { reason: string; at: string } };
  readonly startedAt: number;
  now(): number;
}

const REDACTED = "[redacted]";

/** The config as /config shows it: private keys replaced by "[redacted]". */
export function redactConfig(config: ProxyConfig): ProxyConfig {
  const copy = structuredClone(config);
  if (copy.identity?.svid.source === "inline") copy.identity.svid.keyPem = REDACTED;
  for (const l of copy.listeners) if ((l.kind === "inbound" || l.kind === "outbound") && l.tls) l.tls.keyPem = REDACTED;
  return copy;
}

/** The active config for GET /config, private keys redacted. */
export function configDump(state: ProxyState): { version: string; config: ProxyConfig } | undefined {
  const snapshot = state.snapshot();
  return snapshot ? { version: snapshot.config.version, config: redactConfig(snapshot.config) } : undefined;
}

/**
 * GET /outliers: endpoints out of load balancing now (ejected or failing an
 * active check) and the health events after `since` (the agent passes
 * `next` back, like /spans).
 */
export function outliers(state: ProxyState, since: number, limit?: number) {
  const now = state.now();
  const unavailable: Record<string, unknown>[] = [];
  for (const [name, b] of state.snapshot()?.backends ?? []) {
    b.outlier?.returnDue(now);
    for (const v of b.endpoints) {
      if (v.stats.available) continue;
      unavailable.push({
        backend: name,
        service: b.spec.service,
        endpoint: v.key,
        ejected: v.stats.ejectedUntil !== 0,
        ...(v.stats.ejectedUntil !== 0 ? { ejectedUntil: new Date(v.stats.ejectedUntil).toISOString(), reason: v.stats.ejectionReason, ejections: v.stats.ejections } : {}),
        failingHealthCheck: v.stats.checkFailing,
      });
    }
  }
  return { unavailable, ...state.healthEvents.since(since, limit) };
}

/** Per backend for /stats: counters, breaker gauges and every endpoint's live numbers. */
function backendStats(state: ProxyState): Record<string, unknown> {
  const backends: Record<string, unknown> = {};
  const shared = state.registry.snapshot();
  for (const [name, b] of state.snapshot()?.backends ?? []) {
    const now = state.now();
    backends[name] = {
      service: b.spec.service,
      algorithm: b.spec.loadBalancer.algorithm,
      ...shared[name]?.counters,
      breaker: { ...shared[name]?.breaker, limits: b.breaker.limits },
      ...(b.outlier ? { ejectionsCapped: shared[name]?.ejectionsCapped ?? 0 } : {}),
      ...(shared[name]?.healthChecks ? { healthChecks: shared[name]?.healthChecks } : {}),
      endpoints: b.endpoints.map((v) => ({
        address: v.endpoint.address,
        port: v.endpoint.port,
        health: v.endpoint.health,
        locality: v.endpoint.locality,
        inflight: v.stats.inflight,
        requests: v.stats.requests,
        failures: v.stats.failures,
        ewmaMs: Math.round(v.stats.latencyMs(now) * 1000) / 1000,
        ejected: v.stats.ejectedUntil !== 0,
        ...(v.stats.ejectedUntil !== 0 ? { ejectedUntil: new Date(v.stats.ejectedUntil).toISOString(), ejectionReason: v.stats.ejectionReason } : {}),
        ejections: v.stats.ejections,
        failingHealthCheck: v.stats.checkFailing,
      })),
    };
  }
  return backends;
}

/** Counters for /stats. */
export function stats(state: ProxyState) {
  const identity = state.identity();
  const { recorder } = state;
  return {
    version: state.snapshot()?.config.version ?? null,
    ready: state.ready(),
    uptimeSeconds: Math.round((state.now() - state.startedAt) / 1000),
    config: { ...state.configCounters() },
    downstream: { requests: recorder.total, active: recorder.active, protocolErrors: recorder.protocolErrors, fastPath: recorder.fastPath },
    listeners: state.listeners(),
    drainingListeners: state.drainingListeners(),
    identity: identity
      ? {
          spiffeId: identity.spiffeId,
          notAfter: identity.notAfter.toISOString(),
          trustBundleRoots: identity.bundle.roots.length,
          // Which material the proxy runs, so the agent can tell when a new bundle or SVID has been picked up.
          ...materialInUse(identity),
        }
      : null,
    backends: backendStats(state),
  };
}

/** The proxy-wide gauges of /metrics, read when it is rendered. */
export function registerGauges(metrics: ProxyMetrics, state: ProxyState): void {
  metrics.add(new Gauge("weft_active_requests", "Requests in flight on the outbound and inbound listeners.", [], () => [{ labels: {}, value: state.recorder.active }]));
  metrics.add(
    new Gauge("weft_config_info", "The active config version (value is always 1).", ["version"], () => {
      const snapshot = state.snapshot();
      return snapshot ? [{ labels: { version: snapshot.config.version }, value: 1 }] : [];
    }),
  );
  metrics.add(new Gauge("weft_ready", "1 when the proxy is ready to serve.", [], () => [{ labels: {}, value: state.ready() ? 1 : 0 }]));
  metrics.add(
    new Gauge("weft_endpoints_unavailable", "Endpoints currently ejected by outlier detection or failing active health checks, by backend and reason (ejected, failing_check).", ["backend", "reason"], () => {
      const out: { labels: Record<string, string>; value: number }[] = [];
      for (const [name, b] of state.snapshot()?.backends ?? []) {
        if (!b.outlier && b.spec.policy.healthChecks.length === 0) continue;
        out.push({ labels: { backend: name, reason: "ejected" }, value: b.endpoints.filter((v) => v.stats.ejectedUntil !== 0).length });
        out.push({ labels: { backend: name, reason: "failing_check" }, value: b.endpoints.filter((v) => v.stats.checkFailing).length });
      }
      return out;
    }),
  );
  metrics.add(
    new Gauge("weft_svid_expiry_timestamp_seconds", "notAfter of the workload SVID in use (Unix seconds).", ["spiffe_id"], () => {
      const m = state.identity();
      return m ? [{ labels: { spiffe_id: m.spiffeId }, value: Math.floor(m.notAfter.getTime() / 1000) }] : [];
    }),
  );
}
