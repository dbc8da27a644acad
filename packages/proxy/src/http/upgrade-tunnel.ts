// HTTP/1.1 Upgrade (WebSocket): routed like any request, then the upstream's
// 101 is relayed and both sockets are piped to each other until either side
// closes or the tunnel idles out. No retries: an upgrade is not replayable.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import type { ForwardPlan } from "./forward-env.ts";
import { FLAGS_HEADER, ResponseFlag, type ResponseFlagCode } from "../core/response-flags.ts";

const REASONS: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };

/** Writes a whole HTTP/1.1 response to a raw socket and closes it. */
export function rawReply(socket: Duplex, status: number, flags: readonly ResponseFlagCode[], body = "", extra = ""): void {
  if (socket.destroyed) return;
  const flagLine = flags.length > 0 ? `${FLAGS_HEADER}: ${flags.join(",")}\r\n` : "";
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n${flagLine}${extra}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function headBlock(rawHeaders: readonly string[]): string {
  let out = "";
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return out;
}

/**
 * Opens the tunnel for `plan` and calls `done(status, flags)` once, with the
 * status the client saw (101 when the tunnel opened), when it is over.
 */
export function tunnelUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  plan: ForwardPlan,
  env: { random: () => number; now: () => number },
  outcome: { flags: ResponseFlagCode[]; destinationVersion: string; destinationCluster: string; upstreamHost: string },
  done: (status: number) => void,
): void {
  const { backend } = plan;
  let status = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done(status);
  };
  const view = backend.pick({ random: env.random, now: env.now(), hashKey: undefined });
  if (!view) {
    outcome.flags.push(ResponseFlag.NoHealthyUpstream);
    status = 503;
    rawReply(socket, 503, outcome.flags, "no healthy upstream\n");
    return finish();
  }
  outcome.upstreamHost = view.key;
  outcome.destinationVersion = view.endpoint.version ?? backend.spec.version ?? "unknown";
  outcome.destinationCluster = view.endpoint.locality.cluster ?? "unknown";
  const headers: OutgoingHttpHeaders = { ...plan.headers, connection: "Upgrade", upgrade: req.headers.upgrade };
  const options = { host: view.endpoint.address, port: view.endpoint.port, method: req.method, path: plan.path, headers, agent: false as const, setHost: false };
  const tlsFor = backend.pool.tlsFor;
  const upReq = tlsFor ? httpsRequest({ ...options, ...tlsFor(view.endpoint.address, ["http/1.1"], view.endpoint.sni) }) : httpRequest(options);
  const connectTimer = setTimeout(() => upReq.destroy(new Error("connect timeout")), backend.spec.policy.connectTimeoutMs);
  upReq.on("socket", (s) => s.once("connect", () => clearTimeout(connectTimer)));
  view.stats.inflight++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    view.stats.inflight--;
  };
  socket.once("close", () => {
    upReq.destroy();
    release();
    finish();
  });

  upReq.on("error", () => {
    clearTimeout(connectTimer);
    if (status !== 0) return;
    outcome.flags.push(ResponseFlag.UpstreamConnectFailure);
    status = 503;
    rawReply(socket, 503, outcome.flags, "upstream connect failure\n");
  });
  upReq.on("response", (res: IncomingMessage) => {
    clearTimeout(connectTimer);
    status = res.statusCode ?? 502;
    relayDeclined(res, socket);
  });
  upReq.on("upgrade", (res: IncomingMessage, upSocket: Duplex, upHead: Buffer) => {
    clearTimeout(connectTimer);
    status = 101;
    view.stats.requests++;
    if (socket.destroyed) {
      upSocket.destroy();
      return;
    }
    const flags = outcome.flags.length > 0 ? `${FLAGS_HEADER}: ${outcome.flags.join(",")}\r\n` : "";
    socket.write(`HTTP/1.1 101 ${res.statusMessage ?? "Switching Protocols"}\r\n${headBlock(res.rawHeaders)}${flags}\r\n`);
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    pipeTunnel(socket, upSocket, backend.spec.policy.idleTimeoutMs, outcome.flags);
  });
  upReq.end();
}

/** The upstream declined the upgrade: its answer is relayed as a plain response, and the connection closed. */
function relayDeclined(res: IncomingMessage, socket: Duplex): void {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("error", () => socket.destroy());
  res.on("end", () => {
    const body = Buffer.concat(chunks);
    const pairs: string[] = [];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      const name = res.rawHeaders[i] ?? "";
      if (!/^(connection|keep-alive|transfer-encoding|content-length|upgrade)$/i.test(name)) pairs.push(name, res.rawHeaders[i + 1] ?? "");
    }
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ""}\r\n${headBlock(pairs)}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
  });
}

/** Both sockets piped to each other until either closes or the tunnel idles out (flag SI). */
function pipeTunnel(socket: Duplex, upSocket: Duplex, idleMs: number, flags: ResponseFlagCode[]): void {
  const idle = () => {
    flags.push(ResponseFlag.StreamIdleTimeout);
    socket.destroy();
    upSocket.destroy();
  };
  (socket as Duplex & { setTimeout?: (ms: number, cb: () => void) => void }).setTimeout?.(idleMs, idle);
  upSocket.on("error", () => socket.destroy());
  socket.on("error", () => upSocket.destroy());
  upSocket.once("close", () => socket.destroy());
  socket.once("close", () => upSocket.destroy());
  upSocket.pipe(socket);
  socket.pipe(upSocket);
}
