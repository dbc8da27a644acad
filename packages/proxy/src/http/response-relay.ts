// Relays an upstream response to the downstream: hop-by-hop headers out,
// the route's response header modifier, the flags header, HTTP/2
// trailers-only answers kept as one HEADERS frame, the body piped with
// backpressure and the trailers added once it ends.
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { applyHeaderModifier, type HeaderModifier } from "@weft/mesh-model/proxy-config";
import type { Outcome } from "../core/outcome.ts";
import { FLAGS_HEADER, formatFlags } from "../core/response-flags.ts";
import type { UpstreamResponse } from "../upstream/upstream-attempt.ts";
import { grpcStatusOf } from "./grpc.ts";
import { stripHopByHop } from "./hop-by-hop.ts";
import { h2Stream } from "./local-reply.ts";

/**
 * Sends `upRes` down `res`; `draining` asks an HTTP/1.1 client to close
 * afterwards. Returns true when the body is being piped (false: answered
 * without one, or the downstream is already gone).
 */
export function relayResponse(res: ServerResponse, upRes: UpstreamResponse, outcome: Outcome, responseModifiers: readonly HeaderModifier[], draining: boolean): boolean {
  const status = upRes.status;
  const resBody = upRes.body;
  let headers = stripHopByHop(upRes.headers);
  for (const modifier of responseModifiers) headers = applyHeaderModifier(headers as Record<string, string | string[] | undefined>, modifier) as OutgoingHttpHeaders;
  if (outcome.flags.length > 0) headers[FLAGS_HEADER] = formatFlags(outcome.flags);
  if (res.destroyed) {
    upRes.destroy();
    return false;
  }
  if (outcome.h2) {
    if (upRes.endStream) {
      // Trailers-only (a gRPC status without a body) must stay one HEADERS frame with END_STREAM.
      outcome.respondedTrailersOnly = true;
      resBody.resume();
      const stream = h2Stream(res);
      if (!stream.destroyed && !stream.closed) stream.respond({ ...headers, ":status": status }, { endStream: true });
      return false;
    }
    res.writeHead(status, headers);
  } else {
    if (draining) headers.connection = "close";
    res.writeHead(status, upRes.statusMessage ?? "", headers);
  }
  res.once("close", () => {
    if (!upRes.complete()) upRes.destroy();
  });
  // Piped without ending, so the trailers can be added once the body is done.
  resBody.pipe(res, { end: false });
  resBody.once("end", () => {
    const trailers = upRes.trailers();
    if (trailers) {
      const forwarded = stripHopByHop(trailers);
      if (outcome.grpc) {
        const code = grpcStatusOf(forwarded);
        if (code !== undefined) outcome.grpcStatus = code;
      }
      res.addTrailers(forwarded);
    }
    res.end();
  });
  return true;
}
