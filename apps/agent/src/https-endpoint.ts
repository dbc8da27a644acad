// The HTTPS endpoint the admission webhook and the sidecar API share: TLS 1.2
// or later, a serving certificate cert-manager can swap in place, and JSON
// request bodies read up to a limit.
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The serving certificate and where to listen. */
export interface HttpsEndpointOptions {
  cert: string | Buffer;
  key: string | Buffer;
  host?: string;
  port: number;
}

/** A failure the caller answers with its HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An HTTPS server; subclasses answer the requests. */
export abstract class HttpsEndpoint {
  readonly #server: Server;

  protected constructor(options: HttpsEndpointOptions) {
    this.#server = createServer({ cert: options.cert, key: options.key, minVersion: "TLSv1.2" }, (req, res) => this.serve(req, res));
  }

  protected abstract serve(req: IncomingMessage, res: ServerResponse): void;

  protected async listen(options: HttpsEndpointOptions): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
    });
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Swaps the serving certificate (cert-manager rotates it in place). */
  setCertificate(cert: string | Buffer, key: string | Buffer): void {
    this.#server.setSecureContext({ cert, key });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Reads a JSON body of at most `limit` bytes. Rejects with HttpError 413 as
 * soon as the body passes the limit (the caller answers, then destroys the
 * request) and with HttpError 400 when the body is not JSON.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData).off("end", onEnd);
      reject(new HttpError(413, `the body is larger than ${limit} bytes`));
    };
    const onEnd = () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "the body is not JSON"));
      }
    };
    req.on("data", onData).on("end", onEnd).once("error", reject);
    // Settled already when the body ended; otherwise the client went away mid-body.
    req.once("close", () => reject(new Error("the request closed before its body ended")));
  });
}
