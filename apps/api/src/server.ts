import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { AnyRouter } from "@trpc/server";
import type { Database } from "@weft/db";
import { createContextFactory } from "./context.ts";
import { isMaskedInternalError, redactedError } from "./errors.ts";
import { handleOidcRequest } from "./features/auth/oidc.http.ts";
import { checkHealth, publicHealth } from "./features/health/health.service.ts";
import { isAgent } from "./access.ts";
import { handleAlertmanagerRequest } from "./features/tickets/alertmanager.http.ts";
import { handleMetricsRequest } from "./features/control-plane/metrics.http.ts";
import type { Logger } from "./logger.ts";
import { appRouter } from "./router.ts";
import { installWholeChunkTextEncoderStream } from "./transport/text-encoder-stream.ts";
import { createServices, type ServiceSettings, type Services } from "./services.ts";

export interface ManagerServerOptions {
  db: Database;
  log: Logger;
  host: string;
  port: number;
  /** Replaces the app router; tests use it to exercise the transport with their own procedures. */
  router?: AnyRouter;
  /** The services to serve; built from `db` (with `settings`) when omitted. */
  services?: Services;
  settings?: ServiceSettings;
  /** Largest request body accepted (bytes); larger ones get 413. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  /** Serve https with this certificate (PEM, with its chain) and key; plain http without. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** 1 MiB: far above any real change (a large mesh's YAML), far below what would stall the manager. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Most calls one batched tRPC request may carry (400 calls in one request
 * once delayed /healthz by 0.6 s). The dashboard's batch link sends at most
 * this many (`maxItems` in apps/web/src/trpc/provider.tsx); beyond it, 400.
 */
export const MAX_BATCH_SIZE = 32;

export interface ManagerServer {
  server: Server;
  services: Services;
  /** http://host:port of the running API. */
  url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

/** The manager's HTTP server: tRPC under /trpc, the /healthz probe and /metrics. */
export async function startManagerServer(options: ManagerServerOptions): Promise<ManagerServer> {
  const startedAt = new Date();
  // Config streams (SSE) are encoded through the global TextEncoderStream; Node 20's rebuilds each event char by char.
  installWholeChunkTextEncoderStream();
  const services = options.services ?? createServices(options.db, options.log, options.settings);
  const contextOf = createContextFactory({ db: options.db, log: options.log, services, startedAt });
  const trpc = createHTTPHandler({
    router: options.router ?? appRouter,
    createContext: contextOf,
    basePath: "/trpc/",
    maxBatchSize: MAX_BATCH_SIZE,
    // Bodies are read only once the caller is authenticated, and never beyond this size (413).
    maxBodySize: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    onError({ error, path }) {
      // Errors masked inside procedures were logged there; these failed outside them (context, transport).
      if (error.code === "INTERNAL_SERVER_ERROR" && !isMaskedInternalError(error)) options.log.error({ err: redactedError(error.cause ?? error), path }, "request failed");
    },
  });

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (options.log.isLevelEnabled("debug")) {
      const began = performance.now();
      // Headers go through the logger's redaction (cookies, authorization, CSRF, set-cookie).
      res.once("finish", () =>
        options.log.debug({ req: { method: req.method, url: req.url, headers: req.headers }, res: { statusCode: res.statusCode, headers: res.getHeaders() }, ms: Math.round(performance.now() - began) }, "request"),
      );
    }
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      // Anonymous probes learn up or down; a signed-in user (cookie or API token) gets the detail.
      const signedIn = contextOf({ req, res })
        .authenticate()
        .then((auth) => auth !== null && !isAgent(auth.principal), () => false);
      Promise.all([checkHealth(options.db, startedAt), signedIn]).then(
        ([report, detailed]) => sendJson(res, report.status === "ok" ? 200 : 503, detailed ? report : publicHealth(report)),
        (err: Error) => {
          options.log.error({ err: redactedError(err) }, "health check failed");
          sendJson(res, 503, { status: "degraded" });
        },
      );
      return;
    }
    if (handleMetricsRequest(req, res, { metrics: services.metrics, authenticate: () => contextOf({ req, res }).authenticate(), log: options.log })) return;
    if (path?.startsWith("/auth/oidc/") && handleOidcRequest(req, res, services.oidc, options.log)) return;
    if (handleAlertmanagerRequest(req, res, services, options.log, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)) return;
    if (path?.startsWith("/trpc/")) {
      trpc(req, res);
      return;
    }
    sendJson(res, 404, { error: "not found" });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" }, handle) : createServer(handle);
  // Keep-alive connections from the dashboard's proxy outlive requests; don't let them hold shutdown.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    services,
    url: `${options.tls ? "https" : "http"}://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Ends open config streams too (their generators see the abort).
        server.closeAllConnections();
      }).finally(() => services.close()),
  };
}
