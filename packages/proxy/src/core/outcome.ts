// One request as it goes through the proxy: what it is and what it turned
// into. The request path fills it in; metrics, access logs and spans read it.
import type { AuthorizationDecision } from "@weft/mesh-model/authorization";
import type { TraceContext, TraceFormats } from "@weft/mesh-model/proxy-config";
import type { JWTPayload } from "jose";
import type { PeerIdentity } from "./peer-identity.ts";
import type { ResponseFlagCode } from "./response-flags.ts";

/** The proxy's span for one request: what goes upstream. */
export interface SpanContextOut {
  /** The proxy's span (its id is the parent the upstream sees). */
  context: TraceContext;
  /** The caller's span id, if the request came with a trace context. */
  parentSpanId: string | undefined;
  formats: TraceFormats;
  /** Wall-clock start, in epoch milliseconds (fractional). */
  startMs: number;
}

/** A verified JWT. */
export interface VerifiedJwt {
  issuer: string;
  /** `<iss>/<sub>`: what `request.auth.principal` conditions match. */
  principal: string;
  audiences: string[];
  claims: JWTPayload;
}

/** Where a token was found (and is removed from, unless forwarded). */
export type TokenLocation = { header: string } | { param: string };

export interface Outcome {
  sourceService: string;
  /** The caller's version: the proxy's own outbound; inbound, what a verified caller's proxy stated. */
  sourceVersion: string;
  destinationService: string;
  destinationVersion: string;
  destinationCluster: string;
  /** The upstream endpoint of the last attempt (`address:port`), `-` when none. */
  upstreamHost: string;
  flags: ResponseFlagCode[];
  /** The downstream speaks HTTP/2 (no Connection header; trailers-only responses possible). */
  h2: boolean;
  /** A gRPC call: proxy errors become trailers-only responses with a grpc-status. */
  grpc: boolean;
  /** grpc-status of the response (from trailers, headers, or the proxy), when gRPC. */
  grpcStatus: number | undefined;
  /** Set when the proxy ended the response itself on the HTTP/2 stream (trailers-only). */
  respondedTrailersOnly: boolean;
  /** x-request-id sent upstream. */
  requestId: string | undefined;
  /** The proxy's span for this hop, when the request is traced. */
  trace: SpanContextOut | undefined;
  /** The caller's identity, authenticated by mTLS (inbound). */
  peer: PeerIdentity | undefined;
  /** This hop is mTLS: the inbound connection, or the upstream connection of an mTLS backend. */
  mtls: boolean;
  /** The request's verified JWT, when the listener authenticates tokens. */
  jwt: VerifiedJwt | undefined;
  /** Where that token was, to remove it before the app sees it. */
  stripToken: TokenLocation | undefined;
  /** The authorization decision, when the listener enforces policies. */
  authz: AuthorizationDecision | undefined;
}
