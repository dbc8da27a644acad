// The floor for bench:cpu-ab (BENCH_BIN_B=bench/proxy/floor-proxy.mjs): the
// least a Node HTTP/1.1 keep-alive proxy on raw sockets can do per request,
// for the benchmark's traffic only (GET, no body, Content-Length answers):
// find the end of the request head, write it unchanged to an idle upstream
// socket, find the end of the response by its Content-Length and write the
// bytes back. No routing, no header rewrite, no telemetry, no timeouts. Not
// a proxy to use: it shows how much of Weft's CPU per request is Node's
// sockets and event loop rather than Weft's own work. Started like the Weft
// bundle (`--config <file>`), it reads the first listener's port and the first
// endpoint from that config.
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";

const config = JSON.parse(readFileSync(process.argv[process.argv.indexOf("--config") + 1], "utf8"));
const listenPort = config.listeners[0].port;
const { address, port } = config.backends[0].endpoints[0];
const idle = [];

function upstream() {
  const s = idle.pop();
  if (s) return s;
  const u = connect({ host: address, port, noDelay: true });
  u.on("error", () => undefined);
  u.on("data", (chunk) => u.onChunk(chunk));
  return u;
}

createServer({ noDelay: true }, (down) => {
  let buf = Buffer.alloc(0);
  down.on("error", () => undefined);
  down.on("data", (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const end = buf.indexOf("\r\n\r\n");
    if (end === -1) return;
    const head = buf;
    buf = Buffer.alloc(0);
    const u = upstream();
    let got = Buffer.alloc(0);
    u.onChunk = (c) => {
      got = got.length === 0 ? c : Buffer.concat([got, c]);
      const h = got.indexOf("\r\n\r\n");
      if (h === -1) return;
      const m = /content-length:\s*(\d+)/i.exec(got.toString("latin1", 0, h));
      if (got.length < h + 4 + Number(m?.[1] ?? 0)) return;
      down.write(got);
      idle.push(u);
    };
    u.write(head);
  });
}).listen(listenPort, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
