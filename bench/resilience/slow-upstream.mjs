// The shadow for the mirror bench: answers every request with 1 KiB after
// DELAY_MS (default 500 ms). Prints {"port"} once listening.
import { createServer } from "node:http";

const delay = Number(process.env.DELAY_MS ?? 500);
const body = Buffer.alloc(1024, "s");
let served = 0;
const server = createServer((req, res) => {
  req.resume();
  setTimeout(() => {
    served++;
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  }, delay);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("SIGTERM", () => {
  process.stderr.write(`${JSON.stringify({ served })}\n`);
  process.exit(0);
});
