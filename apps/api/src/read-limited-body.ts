// Reads a request body up to a limit, for the manager's plain-HTTP endpoints
// (tRPC has its own limit). Over the limit it stops collecting but keeps the
// request flowing (the rest is discarded) instead of destroying it: leaving
// the stream early would destroy the socket, and the caller's 413 would never
// arrive (a client such as Alertmanager then sees a reset and posts again).

import type { IncomingMessage } from "node:http";

/** The body, or null when it is (or declares itself) over `limit` bytes; answer 413 with `connection: close` then. */
export function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      done();
      req.resume(); // discard the rest: no data listener is left
      resolve(null);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      done();
      reject(new Error("the request closed before its body arrived"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
