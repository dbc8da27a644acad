// The demo's notification inbox: the receiving end of the built-in webhook
// channel. Verifies every message's Standard Webhooks signature with the
// receiver's library and prints one line per notification, so `npm start`'s
// output shows pages and tickets as they happen.
//   node --import tsx demo-inbox.ts <port>     (secret in WEFT_DEMO_INBOX_SECRET)
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.argv[2]);
const secret = process.env.WEFT_DEMO_INBOX_SECRET ?? "";
if (!Number.isInteger(port) || !secret.startsWith("whsec_")) {
  process.stderr.write("usage: demo-inbox.ts <port> (with WEFT_DEMO_INBOX_SECRET)\n");
  process.exit(2);
}
const verifier = new Webhook(secret);
const seen = new Set<string>();

const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    try {
      const event = verifier.verify(body, req.headers as Record<string, string>) as { type: string; data: { severity: string; title: string; action: string } };
      // The webhook-id is the idempotency key: a retried message is printed once.
      const id = String(req.headers["webhook-id"]);
      if (!seen.has(id)) {
        seen.add(id);
        process.stdout.write(`notification [${event.data.severity}] ${event.type}: ${event.data.title}\n`);
      }
      res.writeHead(204).end();
    } catch {
      res.writeHead(401).end("bad signature");
    }
  });
});
server.listen(port, "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
