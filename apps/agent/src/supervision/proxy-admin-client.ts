// The agent's side of a local proxy's admin listener (loopback): push a
// config (PUT /config with If-Match), read the active version, collect
// telemetry deltas and spans.
import type { TapEvent } from "@weft/mesh-model";
import type { ProxyConfig } from "@weft/mesh-model/proxy-config";

/** What a proxy did with a pushed config. */
export type PushResult =
  | { ok: true; version: string }
  | { ok: false; status: number; reason: string; activeVersion: string | null; precondition: boolean }
  | { ok: false; status: 0; reason: string; activeVersion: null; precondition: false };

export interface ProxyAdminClient {
  put(adminPort: number, config: ProxyConfig, ifMatch: string | undefined): Promise<PushResult>;
  activeVersion(adminPort: number): Promise<string | undefined>;
  /** GET /telemetry?acknowledge=1: the proxy's pending batch of per-edge deltas, served again (same id) until acknowledged. */
  telemetry(adminPort: number): Promise<ProxyTelemetryBatch>;
  /** POST /telemetry/ack: the batch is recorded; the proxy drops it and the next GET cuts a new one. */
  ackTelemetry(adminPort: number, batch: string): Promise<void>;
  /** Finished spans after cursor `since` (GET /spans); `epoch` changes when the proxy restarts and counts anew. */
  spans(adminPort: number, since: number): Promise<ProxySpanPage>;
}

/** One page of GET /spans. */
export interface ProxySpanPage {
  /** Absent from proxies older than the field. */
  epoch?: string;
  next: number;
  dropped: number;
  spans: unknown[];
}

/** GET /telemetry's answer; `batch` ("<proxy boot id>:<n>") is absent from proxies that reset on read (older than the ack). */
export interface ProxyTelemetryBatch {
  batch?: string;
  edges: ProxyEdgeReport[];
}

/** One edge of GET /telemetry (the proxy's EdgeReport). */
export interface ProxyEdgeReport {
  labels: Record<string, string>;
  count: number;
  sketch: { relativeAccuracy: number; offset: number; counts: number[]; zeroCount: number; count: number; sum: number; min: number; max: number };
}

const base = (port: number) => `http://127.0.0.1:${port}`;
const TIMEOUT_MS = 10_000;

export const httpProxyAdmin: ProxyAdminClient = {
  async put(adminPort, config, ifMatch) {
    let res: Response;
    try {
      res = await fetch(`${base(adminPort)}/config`, {
        method: "PUT",
        headers: { "content-type": "application/json", ...(ifMatch !== undefined && { "if-match": `"${ifMatch}"` }) },
        body: JSON.stringify(config),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      return { ok: false, status: 0, reason: `proxy admin unreachable: ${(err as Error).message}`, activeVersion: null, precondition: false };
    }
    const body = (await res.json().catch(() => ({}))) as { version?: string; error?: string; reason?: string; activeVersion?: string | null };
    if (res.ok) return { ok: true, version: body.version ?? config.version };
    return {
      ok: false,
      status: res.status,
      reason: body.reason ?? body.error ?? `HTTP ${res.status}`,
      activeVersion: body.activeVersion ?? null,
      precondition: body.error === "version precondition failed",
    };
  },
  async activeVersion(adminPort) {
    const res = await fetch(`${base(adminPort)}/config`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) return undefined;
    return ((await res.json()) as { version?: string }).version;
  },
  async telemetry(adminPort) {
    const res = await fetch(`${base(adminPort)}/telemetry?acknowledge=1`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`GET /telemetry answered ${res.status}`);
    return (await res.json()) as ProxyTelemetryBatch;
  },
  async ackTelemetry(adminPort, batch) {
    const res = await fetch(`${base(adminPort)}/telemetry/ack`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ batch }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`POST /telemetry/ack answered ${res.status}: ${await res.text().catch(() => "")}`);
  },
  async spans(adminPort, since) {
    const res = await fetch(`${base(adminPort)}/spans?since=${since}&limit=1000`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) throw new Error(`GET /spans answered ${res.status}`);
    return (await res.json()) as ProxySpanPage;
  },
};

/** GET /tap: request summaries after `after` (reading turns the proxy's recording on). */
export async function readProxyTap(adminPort: number, after: number): Promise<{ seq: number; events: Omit<TapEvent, "proxy">[] }> {
  const res = await fetch(`${base(adminPort)}/tap?after=${after}&limit=500`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET /tap answered ${res.status}`);
  return (await res.json()) as { seq: number; events: Omit<TapEvent & { seq: number }, "proxy">[] };
}

/** GET /config: the config the proxy runs ({ version, config }). */
export async function readProxyConfig(adminPort: number): Promise<unknown> {
  const res = await fetch(`${base(adminPort)}/config`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET /config answered ${res.status}`);
  return res.json();
}
