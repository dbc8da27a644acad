// The mutating admission webhook (admission.k8s.io/v1) over HTTPS.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { HttpError, HttpsEndpoint, readJsonBody, type HttpsEndpointOptions } from "../https-endpoint.ts";
import { errorMessage, type Logger } from "../logger.ts";
import { planInjection, type InjectionSettings } from "./sidecar-injection.ts";

/** The parts of an AdmissionReview request the webhook relies on. */
export const AdmissionReviewSchema = z.object({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  request: z.object({
    uid: z.string().min(1),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    operation: z.string(),
    namespace: z.string().optional(),
    object: z.looseObject({}).nullish(),
    dryRun: z.boolean().optional(),
  }),
});

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: "JSONPatch";
  patch?: string;
  warnings?: string[];
}

export interface WebhookOptions extends HttpsEndpointOptions {
  settings: InjectionSettings;
  /** The agent's view of a namespace's mesh label; `undefined` when unknown. */
  isMeshNamespace: (namespace: string) => boolean | undefined;
  logger: Logger;
}

const MAX_BODY = 8 * 1024 * 1024;

/** Decides one AdmissionReview; never refuses a pod (only mutates or lets it through). */
export function review(body: unknown, options: Pick<WebhookOptions, "settings" | "isMeshNamespace" | "logger">): { status: number; body: unknown } {
  const parsed = AdmissionReviewSchema.safeParse(body);
  if (!parsed.success) return { status: 400, body: { error: "not an admission.k8s.io/v1 AdmissionReview", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) } };
  const { request } = parsed.data;
  const respond = (response: Omit<AdmissionResponse, "uid">) => ({ status: 200, body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: request.uid, ...response } } });

  if (request.kind.kind !== "Pod" || request.kind.group !== "" || request.operation !== "CREATE" || !request.object) return respond({ allowed: true });
  const pod = request.object as V1Pod;
  const namespace = request.namespace ?? pod.metadata?.namespace ?? "default";
  try {
    const decision = planInjection(pod, namespace, options.isMeshNamespace(namespace), options.settings);
    const name = pod.metadata?.name ?? `${pod.metadata?.generateName ?? ""}<generated>`;
    if (!decision.inject) {
      options.logger.debug("pod not injected", { namespace, pod: name, reason: decision.reason });
      return respond({ allowed: true });
    }
    options.logger.info("injecting proxy", { namespace, pod: name, uid: request.uid });
    return respond({ allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(decision.patch)).toString("base64") });
  } catch (err) {
    // Admit the pod unmeshed rather than block a deployment on our bug.
    options.logger.error("injection failed; admitting the pod without the proxy", { namespace, error: errorMessage(err) });
    return respond({ allowed: true, warnings: [`weft: sidecar not injected: ${errorMessage(err)}`] });
  }
}

export class WebhookServer extends HttpsEndpoint {
  private constructor(private readonly options: WebhookOptions) {
    super(options);
  }

  static async start(options: WebhookOptions): Promise<WebhookServer> {
    const server = new WebhookServer(options);
    await server.listen(options);
    return server;
  }

  protected serve(req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") return reply(200, { ok: true });
    if (req.method !== "POST" || req.url?.split("?")[0] !== "/mutate") return reply(404, { error: "POST /mutate, GET /healthz" });
    readJsonBody(req, MAX_BODY).then(
      (body) => {
        const out = review(body, this.options);
        reply(out.status, out.body);
      },
      (err: unknown) => {
        if (!(err instanceof HttpError)) return; // the API server went away mid-request
        if (err.status !== 413) return reply(400, { error: "body is not JSON" });
        reply(413, { error: "AdmissionReview too large" });
        req.destroy();
      },
    );
  }
}
