// Reads a request body into memory up to a limit, so it can be replayed on a
// retry. Above the limit the body streams (with backpressure) and the
// request is not retried.
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { RequestBody } from "../upstream/upstream-attempt.ts";

/** Whether the request carries a body at all (RFC 9112 section 6.3). */
export function hasBody(req: IncomingMessage): boolean {
  // HTTP/2 has no framing headers: the request has a body unless its HEADERS frame ended the stream.
  if (req.httpVersionMajor === 2) return !(req as unknown as Http2ServerRequest).stream.endAfterHeaders;
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const cl = req.headers["content-length"];
  return cl !== undefined && cl !== "0";
}

/**
 * Buffers up to `limit` bytes. Resolves "buffered" when the body ended within
 * the limit, "stream" (already-read chunks plus the paused rest) otherwise.
 * Rejects if the downstream fails or aborts while we read.
 */
export function readBodyUpTo(req: IncomingMessage, limit: number): Promise<RequestBody> {
  if (!hasBody(req)) return Promise.resolve({ kind: "none" });
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ kind: "stream", head: [], rest: req });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length > limit) {
        req.pause();
        cleanup();
        resolve({ kind: "stream", head: chunks, rest: req });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: "buffered", chunks, length });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(new Error("downstream closed while sending the body"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
