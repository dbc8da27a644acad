// The sidecar API over HTTPS: injected sidecars pull their compiled config
// (long poll on the version they hold), acknowledge what they did with it,
// and get their X.509-SVID from a CSR. Every request carries the pod's
// projected service-account token; a pod gets only its own config and only
// the SVID of its own service account. Sidecars also push their telemetry and
// spans here (POST /v1/telemetry, /v1/spans), and report with every poll and
// ack the trust bundle and SVID they run.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { V1Pod } from "@kubernetes/client-node";
import { IdentityError, spiffeIdFor } from "@weft/identity";
import {
  MAX_PUSH_BYTES,
  SidecarAckSchema,
  SidecarConfigQuerySchema,
  SidecarSpansPushSchema,
  SidecarTelemetryPushSchema,
  SvidRequestSchema,
  type SidecarConfigResponse,
  type SvidResponse,
} from "@weft/mesh-model";
import type { z } from "zod";
import { HttpError, HttpsEndpoint, readJsonBody, type HttpsEndpointOptions } from "../https-endpoint.ts";
import { IssuerUnavailableError } from "../identity/identity-controller.ts";
import { errorMessage, type Logger } from "../logger.ts";
import type { SidecarConfigs } from "./sidecar-configs.ts";
import type { SidecarTelemetryIntake } from "./sidecar-telemetry.ts";
import type { TokenIdentity, TokenReviewer } from "./token-review.ts";

/** What the server needs from the identity loop. */
export interface SidecarIssuer {
  readonly issuerFingerprint: string | null;
  signWorkloadCsr(csrPem: string, identity: { namespace: string; serviceAccount: string }, holder: string): Promise<{ spiffeId: string; certChainPem: string; notAfter: Date }>;
}

export interface SidecarServerOptions extends HttpsEndpointOptions {
  configs: SidecarConfigs;
  reviewer: TokenReviewer;
  /** Absent: the mesh's identities are not served (configs still are). */
  issuer?: SidecarIssuer;
  pod: (namespace: string, name: string) => V1Pod | undefined;
  /** Where pushed telemetry and spans go; absent, pushes are answered 503 (the sidecar keeps them and retries). */
  telemetry?: SidecarTelemetryIntake;
  logger: Logger;
  /** Longest a config poll is held when nothing changed (ms). */
  maxWaitMs?: number;
}

const MAX_BODY = 64 * 1024;
const ROUTES = ["GET /v1/proxy-config", "POST /v1/proxy-config/ack", "POST /v1/svid", "POST /v1/telemetry", "POST /v1/spans"];

const issuesText = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");

export class SidecarServer extends HttpsEndpoint {
  #waiting = new Set<() => void>();

  private constructor(private readonly options: SidecarServerOptions) {
    super(options);
  }

  static async start(options: SidecarServerOptions): Promise<SidecarServer> {
    const server = new SidecarServer(options);
    await server.listen(options);
    return server;
  }

  protected serve(req: IncomingMessage, res: ServerResponse): void {
    this.#handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) this.options.logger.error("sidecar API request failed", { path: req.url?.split("?")[0], error: errorMessage(err) });
      if (!res.headersSent) this.#json(res, status, { error: errorMessage(err) });
      else res.end();
      // The rest of an oversized body is not read.
      if (status === 413) req.destroy();
    });
  }

  override async close(): Promise<void> {
    for (const release of this.#waiting) release();
    await super.close();
  }

  #json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
    res.end(JSON.stringify(body));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://agent");
    const route = `${req.method ?? ""} ${url.pathname}`;
    if (route === "GET /healthz") return this.#json(res, 200, { ok: true });
    if (!ROUTES.includes(route)) return this.#json(res, 404, { error: `${ROUTES.join(", ")}, GET /healthz` });
    const caller = await this.#authenticate(req);
    if (route === "GET /v1/proxy-config") return this.#config(req, res, url, caller);
    const push = route === "POST /v1/telemetry" || route === "POST /v1/spans";
    const body = await readJsonBody(req, push ? MAX_PUSH_BYTES : MAX_BODY);
    if (route === "POST /v1/proxy-config/ack") {
      const ack = parse(SidecarAckSchema, body, "ack");
      this.#authorize(caller, ack.namespace, ack.pod);
      if (ack.identity !== undefined) this.options.configs.reportIdentity(ack.namespace, ack.pod, ack.identity);
      this.options.configs.ack(ack.namespace, ack.pod, { version: ack.version, status: ack.status, ...(ack.reason !== undefined && { reason: ack.reason }) });
      res.writeHead(204).end();
      return;
    }
    if (push) {
      const intake = this.options.telemetry;
      if (route === "POST /v1/telemetry") {
        const batch = parse(SidecarTelemetryPushSchema, body, "telemetry push");
        // Labelled with the pod the informer knows under the token's name, never with what the body says.
        const pod = this.#authorize(caller, batch.namespace, batch.pod);
        if (!intake) throw new HttpError(503, "this agent ships no telemetry (no manager); keep the batch");
        return this.#json(res, 200, intake.telemetry(pod, batch));
      }
      const batch = parse(SidecarSpansPushSchema, body, "span push");
      const pod = this.#authorize(caller, batch.namespace, batch.pod);
      if (!intake) throw new HttpError(503, "this agent ships no spans (no manager); keep the batch");
      return this.#json(res, 200, intake.spans(pod, batch));
    }
    const svid = parse(SvidRequestSchema, body, "svid request");
    this.#authorize(caller, svid.namespace, svid.pod);
    const issuer = this.options.issuer;
    if (!issuer) throw new HttpError(503, "this agent issues no workload identities");
    try {
      // The identity is the token's service account, never anything the caller asserts.
      const signed = await issuer.signWorkloadCsr(svid.csrPem, { namespace: caller.namespace, serviceAccount: caller.serviceAccount }, `${svid.namespace}/${svid.pod}`);
      const answer: SvidResponse = { spiffeId: signed.spiffeId, certChainPem: signed.certChainPem, notAfter: signed.notAfter.toISOString() };
      this.#json(res, 200, answer);
    } catch (err) {
      if (err instanceof IssuerUnavailableError) throw new HttpError(503, err.message);
      if (err instanceof IdentityError) throw new HttpError(err.code === "invalid-csr" && err.path === "csr.subjectAltName" ? 403 : 400, `${err.path || "csrPem"}: ${err.message}`);
      throw err;
    }
  }

  async #authenticate(req: IncomingMessage): Promise<TokenIdentity> {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "");
    if (!match) throw new HttpError(401, "Authorization: Bearer <the pod's projected service-account token> is required");
    let verdict;
    try {
      verdict = await this.options.reviewer.review(match[1]!);
    } catch (err) {
      throw new HttpError(503, `cannot review the token with the API server: ${errorMessage(err)}`);
    }
    if (!verdict.ok) throw new HttpError(401, verdict.reason);
    return verdict.identity;
  }

  /** A pod may act only as itself: the token's namespace and pod, and the pod the informer knows under that name. */
  #authorize(caller: TokenIdentity, namespace: string, pod: string): V1Pod {
    if (caller.namespace !== namespace) throw new HttpError(403, `namespace: the token belongs to namespace ${caller.namespace}, not ${namespace}`);
    if (caller.pod === undefined) throw new HttpError(403, "the token is bound to no pod: send the projected token the webhook mounts");
    if (caller.pod !== pod) throw new HttpError(403, `pod: the token belongs to pod ${caller.pod}, not ${pod}`);
    const known = this.options.pod(namespace, pod);
    if (!known) throw new HttpError(503, `pod ${namespace}/${pod} is not known to the agent yet; retry`);
    if (caller.podUid !== undefined && known.metadata?.uid !== undefined && caller.podUid !== known.metadata.uid) {
      throw new HttpError(403, `pod: the token belongs to an earlier pod named ${pod}`);
    }
    if ((known.spec?.serviceAccountName || "default") !== caller.serviceAccount) {
      throw new HttpError(403, `the token's service account ${caller.serviceAccount} is not the service account of pod ${pod}`);
    }
    return known;
  }

  async #config(req: IncomingMessage, res: ServerResponse, url: URL, caller: TokenIdentity): Promise<void> {
    const query = parse(SidecarConfigQuerySchema, Object.fromEntries(url.searchParams), "query");
    this.#authorize(caller, query.namespace, query.pod);
    const { configs } = this.options;
    // What the sidecar runs as it asks (a poll is held; the ack after the next config reports the change).
    configs.reportIdentity(query.namespace, query.pod, query.bundle ? { trustBundleFingerprint: query.bundle, ...(query.svidSerial !== undefined && { serial: query.svidSerial }) } : null);
    const shape = { svid: query.svid === "ready" && query.identityDir ? { identityDir: query.identityDir } : undefined };
    const held = (req.headers["if-none-match"] ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");
    const answer = (): { etag: string; body: SidecarConfigResponse } => {
      const compiled = configs.configFor(query.namespace, query.pod, shape);
      if (!compiled) throw new HttpError(503, `pod ${query.namespace}/${query.pod} is not known to the agent yet; retry`);
      if (!compiled.ok) throw new HttpError(503, compiled.reason);
      const config = configs.clusterConfig;
      const issuer = this.options.issuer?.issuerFingerprint ?? null;
      const identity = config?.trust && this.options.issuer ? { trustDomain: config.mesh.trustDomain, spiffeId: spiffeIdFor({ trustDomain: config.mesh.trustDomain, namespace: caller.namespace, serviceAccount: caller.serviceAccount }), issuerFingerprint: issuer } : null;
      // The issuer is part of the tag: a new intermediate wakes the sidecar so it renews its SVID, even when its config is unchanged.
      return { etag: `${compiled.version}.${issuer?.slice(0, 16) ?? "none"}`, body: { version: compiled.version, clusterConfigVersion: config?.configVersion ?? null, config: compiled.config, identity } };
    };
    let current = answer();
    if (current.etag === held) {
      const waitMs = Math.min(this.options.maxWaitMs ?? 30_000, (query.waitSeconds ?? 30) * 1000);
      current = await new Promise<{ etag: string; body: SidecarConfigResponse }>((resolve, reject) => {
        // Every path into done() is asynchronous, after `timer` and `unsubscribe` exist; a second call is harmless.
        const done = (value?: { etag: string; body: SidecarConfigResponse }, err?: unknown) => {
          clearTimeout(timer);
          unsubscribe();
          this.#waiting.delete(release);
          if (err) reject(err);
          else resolve(value ?? current);
        };
        const release = () => done();
        const unsubscribe = configs.subscribe(() => {
          try {
            const next = answer();
            if (next.etag !== held) done(next);
          } catch (err) {
            done(undefined, err);
          }
        });
        this.#waiting.add(release);
        const timer = setTimeout(release, waitMs);
        // The response closing before it was written: the sidecar went away.
        res.once("close", release);
      });
      if (res.destroyed) return;
      if (current.etag === held) {
        res.writeHead(304, { etag: `"${held}"` }).end();
        return;
      }
    }
    this.#json(res, 200, current.body, { etag: `"${current.etag}"` });
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, `invalid ${what}: ${issuesText(result.error)}`);
  return result.data;
}
