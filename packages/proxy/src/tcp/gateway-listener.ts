// The east-west gateway listener's own logic: wait for a connection's
// ClientHello, read its server name (keeping the bytes so they can be replayed
// to the destination unchanged), and look the name up in the routes.
import type { Socket } from "node:net";
import type { GatewayListener } from "@weft/mesh-model/proxy-config";
import { MAX_CLIENT_HELLO, readClientHello } from "./client-hello.ts";

/** Why a connection was not routed (the `reason` label of weft_gateway_connections_refused_total). */
export type PeekRefusal = "malformed" | "timeout" | "closed";

export type PeekResult = { ok: true; serverName: string | undefined; head: Buffer } | { ok: false; reason: PeekRefusal; detail: string };

/**
 * Reads from `socket` until a whole ClientHello has arrived (or it is
 * malformed, or `timeoutMs` passes, or the peer goes away), then pauses the
 * socket and calls `done` once. The bytes read are in `head`: the caller
 * unshifts them before piping. At most MAX_CLIENT_HELLO bytes are buffered.
 */
export function peekServerName(socket: Socket, timeoutMs: number, done: (result: PeekResult) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let settled = false;
  const settle = (result: PeekResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("close", onClose);
    socket.pause();
    done(result);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    const data = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
    const verdict = readClientHello(data);
    if (verdict.kind === "complete") settle({ ok: true, serverName: verdict.serverName, head: data });
    else if (verdict.kind === "malformed") settle({ ok: false, reason: "malformed", detail: verdict.reason });
    else if (length > MAX_CLIENT_HELLO) settle({ ok: false, reason: "malformed", detail: "ClientHello too large" });
  };
  const onClose = () => settle({ ok: false, reason: "closed", detail: "closed before the ClientHello was complete" });
  // A slow-loris peer must not hold a socket and its buffer for ever.
  const timer = setTimeout(() => settle({ ok: false, reason: "timeout", detail: `no complete ClientHello within ${timeoutMs} ms` }), timeoutMs);
  socket.on("data", onData);
  socket.once("close", onClose);
}

const tables = new WeakMap<GatewayListener, Map<string, string>>();

/** The backend routed for `serverName` (already lower case) on `listener`, if any. One table per listener spec, built on first use. */
export function gatewayBackend(listener: GatewayListener, serverName: string): string | undefined {
  let table = tables.get(listener);
  if (!table) {
    table = new Map(listener.routes.map((r) => [r.sni, r.backend]));
    tables.set(listener, table);
  }
  return table.get(serverName);
}
