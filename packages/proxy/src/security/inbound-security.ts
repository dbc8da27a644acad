// Request-level security of a listener: JWT authentication, then the
// authorization decision (the same pure evaluator the manager's what-if
// procedure runs), then the identity headers the app may rely on. A listener
// without JWT rules or policies has no plan and pays nothing.
import type { OutgoingHttpHeaders } from "node:http";
import { evaluateAuthorization, type CompiledAuthorizationPolicy } from "@weft/mesh-model/authorization";
import type { Outcome } from "../core/outcome.ts";
import type { RequestHead } from "../core/request-head.ts";
import type { JwtAuthenticator } from "./jwt-authenticator.ts";
import type { ProxyMetrics } from "../observability/metrics.ts";
import { ResponseFlag, type ResponseFlagCode } from "../core/response-flags.ts";

/** Headers only the proxy may set: whatever a client sends under these names is dropped. */
export const IDENTITY_HEADERS = ["x-forwarded-client-cert", "x-weft-peer-identity", "x-weft-request-principal", "x-weft-peer-metadata"] as const;

/** What a listener checks per request. */
export interface ListenerSecurity {
  jwt: JwtAuthenticator | undefined;
  /** The local service's policies (inbound listeners only). */
  policies: readonly CompiledAuthorizationPolicy[] | undefined;
  /** The workload port port-scoped policies are compared with (the inbound listener's app port). */
  port: number | undefined;
}

/** A refusal the proxy answers itself. */
export interface Refusal {
  status: 401 | 403;
  flag: ResponseFlagCode;
  body: string;
  extra: OutgoingHttpHeaders;
}

function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, "")}"`;
}

/**
 * Runs the listener's checks; undefined admits the request (with
 * `outcome.jwt` set when a valid token came with it), otherwise the 401/403
 * to answer. Counts every decision.
 */
export async function admit(security: ListenerSecurity, listener: string, req: RequestHead, path: string, query: string, outcome: Outcome, metrics: ProxyMetrics): Promise<Refusal | undefined> {
  if (security.jwt) {
    const result = await security.jwt.authenticate(req.headers, query);
    if (result.kind === "invalid") {
      metrics.jwtAuthentications.inc({ listener, issuer: result.issuer, result: "invalid" });
      return {
        status: 401,
        flag: ResponseFlag.Unauthenticated,
        body: `invalid token: ${result.reason}\n`,
        extra: { "www-authenticate": `Bearer realm="weft", error="invalid_token", error_description=${quoted(result.reason)}` },
      };
    }
    if (result.kind === "valid") {
      metrics.jwtAuthentications.inc({ listener, issuer: result.jwt.issuer, result: "valid" });
      outcome.jwt = result.jwt;
      outcome.stripToken = result.strip;
    } else metrics.jwtAuthentications.inc({ listener, issuer: "-", result: "missing" });
  }
  if (!security.policies) return undefined;
  const decision = evaluateAuthorization(security.policies, {
    ...(outcome.peer ? { source: { identity: outcome.peer.spiffeId, cluster: outcome.peer.cluster } } : {}),
    destination: { port: security.port },
    method: req.method ?? "GET",
    path,
    headers: req.headers,
    ...(outcome.jwt ? { auth: { principal: outcome.jwt.principal, audiences: outcome.jwt.audiences, claims: outcome.jwt.claims } } : {}),
  });
  for (const a of decision.audited) metrics.authzDecisions.inc({ listener, policy: a.policy, decision: "audited" });
  outcome.authz = decision;
  if (decision.decision === "ALLOW") {
    metrics.authzDecisions.inc({ listener, policy: decision.policy ?? "-", decision: "allowed" });
    return undefined;
  }
  metrics.authzDecisions.inc({ listener, policy: decision.policy ?? "-", decision: "denied" });
  return { status: 403, flag: ResponseFlag.AuthorizationDenied, body: "RBAC: access denied\n", extra: {} };
}

/**
 * Identity headers for the app behind an inbound listener: client-sent ones
 * are dropped, then the proxy states what it verified — an XFCC-style
 * `x-forwarded-client-cert: By=<own SPIFFE ID>;URI=<peer SPIFFE ID>`,
 * `x-weft-peer-identity` and, with a valid JWT, `x-weft-request-principal`.
 */
export function setIdentityHeaders(headers: OutgoingHttpHeaders, outcome: Outcome, localId: string | undefined): void {
  for (const name of IDENTITY_HEADERS) delete headers[name];
  const peer = outcome.peer;
  if (peer) {
    headers["x-forwarded-client-cert"] = `${localId ? `By=${localId};` : ""}URI=${peer.spiffeId}`;
    headers["x-weft-peer-identity"] = peer.spiffeId;
  }
  if (outcome.jwt) headers["x-weft-request-principal"] = outcome.jwt.principal;
  const strip = outcome.stripToken;
  if (strip && "header" in strip) delete headers[strip.header];
}

/** The query string without the parameter that carried a token the app must not see. */
export function queryWithout(query: string, param: string): string {
  const params = new URLSearchParams(query);
  params.delete(param);
  return params.toString();
}
