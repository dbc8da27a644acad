// The agent's admin endpoint on loopback: GET /status (JSON), /ready, /healthz,
// /metrics (Prometheus). Like /status, it binds to loopback unless the operator
// chooses another address, and asks no credentials: whoever can reach the admin
// port can already read /status.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface AdminServerOptions {
  port: number;
  host?: string;
  status: () => unknown;
  ready: () => boolean;
  /** Prometheus exposition (GET /metrics). */
  metrics?: () => Promise<{ contentType: string; text: string }>;
}

export class AdminServer {
  private constructor(private readonly server: Server) {}

  static async start(options: AdminServerOptions): Promise<AdminServer> {
    const server = createServer((req, res) => {
      const path = req.url?.split("?")[0];
      if (req.method !== "GET") {
        res.writeHead(405, { allow: "GET" }).end();
        return;
      }
      if (path === "/status") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`${JSON.stringify(options.status(), null, 2)}\n`);
      } else if (path === "/ready") {
        const ready = options.ready();
        res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready\n" : "not ready\n");
      } else if (path === "/metrics" && options.metrics) {
        options.metrics().then(
          ({ contentType, text }) => res.writeHead(200, { "content-type": contentType }).end(text),
          (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${err.message}\n`),
        );
      } else if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("agent admin endpoints: /status /ready /healthz /metrics\n");
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
    });
    return new AdminServer(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
