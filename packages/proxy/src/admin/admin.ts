// The admin listener: readiness, the active config, JSON stats, Prometheus
// metrics, spans, per-edge latency sketches and recent requests (tap) for the agent, and the local
// channel the agent pushes new configs through (PUT /config, loopback only).
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseProxyConfigDocument, ProxyConfigParseError } from "@weft/mesh-model/proxy-config";
import type { ApplyResult } from "../core/apply-result.ts";
import { parseAck, type TelemetryBatches } from "./telemetry-batches.ts";

export interface AdminSource {
  readonly version: string | undefined;
  ready(): boolean;
  configDump(): { version: string; config: unknown } | undefined;
  stats(): unknown;
  metricsText(): string;
  spans(since: number, limit?: number): unknown;
  /** Per-edge deltas handed out by GET /telemetry and kept until POST /telemetry/ack (telemetry-batches.ts). */
  readonly telemetryBatches: TelemetryBatches<unknown>;
  outliers(since: number, limit?: number): unknown;
  /** Recent request summaries after `after` (GET /tap, loopback only); reading turns recording on for a while. */
  tap(after: number, limit: number): unknown;
  /** PUT /config's apply (the proxy's applyConfig, and file mode learns that a push superseded the file). */
  pushConfig(input: unknown): Promise<ApplyResult>;
}

/** Largest config document PUT /config accepts. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json", `${JSON.stringify(value, null, 2)}\n`);
}

/** Loopback callers only: the agent runs beside the proxy; nobody else may reconfigure it. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** The body as text, or undefined past `limit` (then the request is cut off, or with `drain` read to its end so the caller can answer). */
function readBody(req: IncomingMessage, limit: number, drain = false): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        if (drain) return;
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function putConfig(source: AdminSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    sendJson(res, 403, { error: "config changes are accepted from loopback only" });
    return;
  }
  const text = await readBody(req, MAX_CONFIG_BYTES);
  if (text === undefined) {
    sendJson(res, 413, { error: `config larger than ${MAX_CONFIG_BYTES} bytes` });
    return;
  }
  // Optimistic concurrency: `If-Match: "<version>"` applies only over that active version.
  const ifMatch = req.headers["if-match"];
  if (ifMatch !== undefined && ifMatch !== "*" && ifMatch.replace(/^W\//, "").replace(/^"|"$/g, "") !== source.version) {
    sendJson(res, 409, { error: "version precondition failed", reason: `active version is ${source.version ?? "none"}`, activeVersion: source.version ?? null });
    return;
  }
  let doc: unknown;
  try {
    doc = parseProxyConfigDocument(text);
  } catch (err) {
    sendJson(res, 400, { error: "unparseable config", reason: err instanceof ProxyConfigParseError ? err.message : String(err), activeVersion: source.version ?? null });
    return;
  }
  const result = await source.pushConfig(doc);
  if (result.ok) sendJson(res, 200, { version: result.version });
  else sendJson(res, result.kind === "invalid" ? 400 : 409, { error: "config refused", reason: result.reason, issues: result.issues, activeVersion: source.version ?? null });
}

/** Largest POST /telemetry/ack body. */
const MAX_ACK_BYTES = 4096;

async function ackTelemetry(source: AdminSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) {
    sendJson(res, 403, { error: "loopback only" });
    return;
  }
  const text = await readBody(req, MAX_ACK_BYTES, true);
  if (text === undefined) {
    sendJson(res, 413, { error: `body: larger than ${MAX_ACK_BYTES} bytes` });
    return;
  }
  const parsed = parseAck(text);
  if ("error" in parsed) {
    sendJson(res, 400, { error: parsed.error });
    return;
  }
  // An id that is not the pending batch (acknowledged already, from before a restart) changes nothing: 409 with the pending id.
  const result = source.telemetryBatches.ack(parsed.batch);
  if (result.acked) sendJson(res, 200, { acked: parsed.batch });
  else sendJson(res, 409, { error: "batch: not the pending telemetry batch", pending: result.pending });
}

export function handleAdmin(source: AdminSource, req: IncomingMessage, res: ServerResponse): void {
  const [path = "/", query = ""] = (req.url ?? "/").split("?");
  if (path === "/config" && req.method === "PUT") {
    putConfig(source, req, res).catch((err: unknown) => sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) }));
    return;
  }
  if (path === "/telemetry/ack" && req.method === "POST") {
    ackTelemetry(source, req, res).catch((err: unknown) => sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) }));
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return;
  }
  switch (path) {
    case "/ready": {
      const ready = source.ready();
      send(res, ready ? 200 : 503, "text/plain; charset=utf-8", ready ? "ready\n" : "not ready\n");
      return;
    }
    case "/config": {
      const dump = source.configDump();
      sendJson(res, dump ? 200 : 503, dump ?? { error: "no config applied" });
      return;
    }
    case "/stats":
      sendJson(res, 200, source.stats());
      return;
    case "/metrics":
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", source.metricsText());
      return;
    case "/spans": {
      const params = new URLSearchParams(query);
      const since = Number(params.get("since") ?? "0");
      const limit = Number(params.get("limit") ?? "1000");
      if (!Number.isInteger(since) || since < 0 || !Number.isInteger(limit) || limit < 1) {
        sendJson(res, 400, { error: "since and limit must be non-negative integers" });
        return;
      }
      sendJson(res, 200, source.spans(since, Math.min(limit, 10_000)));
      return;
    }
    case "/outliers": {
      const since = Number(new URLSearchParams(query).get("since") ?? "0");
      if (!Number.isInteger(since) || since < 0) {
        sendJson(res, 400, { error: "since must be a non-negative integer" });
        return;
      }
      sendJson(res, 200, source.outliers(since));
      return;
    }
    case "/tap": {
      if (!isLoopback(req.socket.remoteAddress)) {
        sendJson(res, 403, { error: "loopback only" });
        return;
      }
      const params = new URLSearchParams(query);
      const after = Number(params.get("after") ?? "0");
      const limit = Number(params.get("limit") ?? "256");
      if (!Number.isInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1) {
        sendJson(res, 400, { error: "after and limit must be non-negative integers" });
        return;
      }
      sendJson(res, 200, source.tap(after, Math.min(limit, 1000)));
      return;
    }
    case "/telemetry":
      if (!isLoopback(req.socket.remoteAddress)) {
        sendJson(res, 403, { error: "loopback only" });
        return;
      }
      // ?acknowledge=1: the same batch until POST /telemetry/ack {"batch": id}; the traffic since goes into the next one.
      // Without it, reset on read (collectors older than the acknowledgement would count a kept batch on every tick).
      if (new URLSearchParams(query).get("acknowledge") === "1") sendJson(res, 200, source.telemetryBatches.take());
      else sendJson(res, 200, { edges: source.telemetryBatches.drain() });
      return;
    default:
      send(res, 404, "text/plain; charset=utf-8", "admin endpoints: /ready /config (GET, PUT) /stats /metrics /spans?since= /outliers?since= /telemetry[?acknowledge=1] (POST /telemetry/ack) /tap?after=\n");
  }
}
