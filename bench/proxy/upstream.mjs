// The benchmark upstream: a minimal node:http server answering every request
// with 1 KiB. One process, shared by all three paths (direct, Weft, HAProxy).
import { createServer } from "node:http";

const body = Buffer.alloc(1024, "x");
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
