// GET /metrics: the manager's Prometheus metrics. Like /healthz's detail, it
// is for signed-in callers only: a user's API token (Prometheus's
// `authorization: { type: Bearer, credentials_file: ... }`) or session, any
// role — the figures name clusters and controllers, never secrets. Anonymous
// callers and agents get 401.
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAgent } from "../../access.ts";
import type { Logger } from "../../logger.ts";
import type { Authentication } from "../../request-info.ts";
import type { ControlPlaneMetrics } from "./control-plane-metrics.ts";

export const METRICS_PATH = "/metrics";

function text(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Serves the request when it is GET /metrics; true when it was. */
export function handleMetricsRequest(req: IncomingMessage, res: ServerResponse, deps: { metrics: ControlPlaneMetrics; authenticate: () => Promise<Authentication | null>; log: Logger }): boolean {
  if ((req.url ?? "").split("?")[0] !== METRICS_PATH || (req.method !== "GET" && req.method !== "HEAD")) return false;
  void (async () => {
    const auth = await deps.authenticate().catch(() => null);
    if (!auth || isAgent(auth.principal)) {
      res.setHeader("www-authenticate", 'Bearer realm="weft"');
      text(res, 401, "send a Weft API token: Authorization: Bearer <token>\n");
      return;
    }
    const { contentType, text: body } = await deps.metrics.exposition();
    text(res, 200, body, contentType);
  })().catch((err: unknown) => {
    deps.log.error({ err }, "metrics exposition failed");
    if (!res.headersSent) text(res, 500, "internal error\n");
  });
  return true;
}
