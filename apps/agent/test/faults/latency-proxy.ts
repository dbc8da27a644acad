// A toxic TCP proxy for the fault suite: every chunk the client sends reaches
// the server `delayMs` later (in order), so each request/response round trip
// of a PostgreSQL session — each query, each BEGIN and COMMIT — takes that
// much longer. Replies pass through undelayed. Written here rather than taken
// from npm: Toxiproxy (the well-kept one) is a Go server, not a package, and
// the behaviour needed is twenty lines of node:net.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface LatencyProxy {
  port: number;
  /** Connections accepted so far (each is one database session). */
  readonly connections: number;
  /** Stops accepting and cuts every open connection. */
  close(): Promise<void>;
}

/** Listens on a free loopback port and forwards to `target`, adding `delayMs` to every client→server chunk. */
export function startLatencyProxy(target: { host: string; port: number }, delayMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    // Each chunk leaves `delayMs` after it arrived, never before the one ahead of it.
    let last = 0;
    client.on("data", (chunk: Buffer) => {
      const at = Math.max(Date.now() + delayMs, last);
      last = at;
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, at - Date.now());
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", () => setTimeout(end, delayMs));
    upstream.on("error", end).on("close", end);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as { port: number }).port,
        get connections() {
          return connections;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
