// The admin listener: readiness, the active config, JSON stats and
// Prometheus metrics. Read-only; it never changes proxy state.
import type { IncomingMessage, ServerResponse } from "node:http";

export interface AdminSource {
  ready(): boolean;
  configDump(): { version: string; config: unknown } | undefined;
  stats(): unknown;
  metricsText(): string;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}

export function handleAdmin(source: AdminSource, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
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
      send(res, dump ? 200 : 503, "application/json", `${JSON.stringify(dump ?? { error: "no config applied" }, null, 2)}\n`);
      return;
    }
    case "/stats":
      send(res, 200, "application/json", `${JSON.stringify(source.stats(), null, 2)}\n`);
      return;
    case "/metrics":
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", source.metricsText());
      return;
    default:
      send(res, 404, "text/plain; charset=utf-8", "admin endpoints: /ready /config /stats /metrics\n");
  }
}
