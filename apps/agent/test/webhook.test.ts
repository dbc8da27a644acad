// The mutating webhook over real HTTPS on loopback with real AdmissionReview documents.
import { request } from "node:https";
import { ProxyConfigSchema } from "@weft/mesh-model/proxy-config";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLogger } from "../src/logger.ts";
import { ANNOTATIONS, CONFIG_FILE, SIDECAR_NAME } from "../src/webhook/sidecar-injection.ts";
import { review, WebhookServer } from "../src/webhook/webhook-server.ts";

let server: WebhookServer;
let ca: string;
const logger = new MemoryLogger();

beforeAll(async () => {
  // A throwaway self-signed certificate, generated per run and never written to disk.
  const pems = await generate([{ name: "commonName", value: "weft-agent-webhook.weft-system.svc" }], {
    keyType: "ec",
    curve: "P-256",
    notAfterDate: new Date(Date.now() + 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "subjectAltName", altNames: [{ type: 2, value: "weft-agent-webhook.weft-system.svc" }, { type: 7, ip: "127.0.0.1" }] },
    ],
  });
  ca = pems.cert;
  server = await WebhookServer.start({
    cert: pems.cert,
    key: pems.private,
    host: "127.0.0.1",
    port: 0,
    settings: { image: "ghcr.io/weft/proxy:0.1.0", cluster: "east" },
    isMeshNamespace: (ns) => (ns === "shop" || ns === "payments" ? true : ns === "kube-system" ? false : undefined),
    logger,
  });
});
afterAll(async () => {
  await server?.close();
});

/** POSTs like the API server does: HTTPS, verifying the webhook's certificate against the caBundle. */
function post(body: unknown, path = "/mutate"): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "POST", ca, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

type Json = Record<string, unknown>;

/** RFC 6902 `add` only (all the webhook emits), enough to see the pod the API server would store. */
function applyPatch(doc: Json, ops: { op: string; path: string; value: unknown }[]): Json {
  const out = structuredClone(doc);
  for (const op of ops) {
    expect(op.op).toBe("add");
    const segments = op.path.split("/").slice(1).map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = segments.pop()!;
    let target: unknown = out;
    for (const s of segments) {
      target = (target as Json)[s];
      expect(target, `patch path ${op.path} must exist`).toBeDefined();
    }
    if (Array.isArray(target)) {
      if (last === "-") target.push(op.value);
      else target.splice(Number(last), 0, op.value);
    } else (target as Json)[last] = op.value;
  }
  return out;
}

const deploymentPod = (extra: { annotations?: Record<string, string>; containers?: Json[]; volumes?: Json[] } = {}): Json => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    generateName: "reviews-v2-7d9f8b6c5-",
    namespace: "shop",
    labels: { app: "reviews", version: "v2", "pod-template-hash": "7d9f8b6c5" },
    ...(extra.annotations && { annotations: extra.annotations }),
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "reviews-v2-7d9f8b6c5", uid: "0b4f1c3e-1111-4d2a-9f00-000000000001", controller: true }],
  },
  spec: {
    serviceAccountName: "reviews",
    containers: extra.containers ?? [{ name: "reviews", image: "example/reviews:2.0", ports: [{ containerPort: 9080, protocol: "TCP" }] }],
    ...(extra.volumes && { volumes: extra.volumes }),
  },
});

const admissionReview = (pod: Json, namespace = "shop", uid = "705ab4f5-6393-11e8-b7cc-42010a800002", operation = "CREATE"): Json => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid,
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    requestKind: { group: "", version: "v1", kind: "Pod" },
    requestResource: { group: "", version: "v1", resource: "pods" },
    namespace,
    operation,
    userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", uid: "1", groups: ["system:serviceaccounts"] },
    object: pod,
    oldObject: null,
    dryRun: false,
    options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
  },
});

async function mutate(review: Json) {
  const res = await post(review);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
  const response = res.body.response as { uid: string; allowed: boolean; patchType?: string; patch?: string };
  const patch = response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as { op: string; path: string; value: unknown }[]) : undefined;
  return { response, patch };
}

describe("mutating admission webhook (HTTPS, AdmissionReview v1)", () => {
  it("injects the proxy sidecar, its config volume and init step into a mesh pod, echoing the request uid", async () => {
    const pod = deploymentPod();
    const { response, patch } = await mutate(admissionReview(pod, "shop", "uid-inject-1"));
    expect(response).toMatchObject({ uid: "uid-inject-1", allowed: true, patchType: "JSONPatch" });
    const patched = applyPatch(pod, patch!) as { metadata: { annotations: Record<string, string> }; spec: { containers: Json[]; initContainers: Json[]; volumes: Json[] } };

    expect(patched.metadata.annotations).toEqual({ [ANNOTATIONS.injected]: "true" });
    expect(patched.spec.containers.map((c) => c.name)).toEqual(["reviews", SIDECAR_NAME]);
    const sidecar = patched.spec.containers[1]!;
    expect(sidecar).toMatchObject({
      image: "ghcr.io/weft/proxy:0.1.0",
      args: ["--config", CONFIG_FILE],
      ports: [{ name: "weft-inbound", containerPort: 15006 }, { name: "weft-admin", containerPort: 15020 }],
      securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      resources: { requests: { cpu: "50m", memory: "64Mi" } },
      volumeMounts: [{ name: "weft-proxy-config", mountPath: "/etc/weft/proxy" }],
    });
    const env = Object.fromEntries((sidecar.env as { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef.fieldPath]));
    expect(env).toEqual({ POD_NAME: "metadata.name", POD_NAMESPACE: "metadata.namespace", POD_SERVICE_ACCOUNT: "spec.serviceAccountName", POD_IP: "status.podIP", WEFT_CLUSTER: "east" });
    expect(patched.spec.volumes).toEqual([{ name: "weft-proxy-config", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }]);

    // The bootstrap config handed to the init step is one the proxy accepts.
    const init = patched.spec.initContainers[0] as { name: string; env: { name: string; value: string }[] };
    expect(init.name).toBe("weft-proxy-init");
    const bootstrap = ProxyConfigSchema.parse(JSON.parse(init.env[0]!.value));
    expect(bootstrap.node).toMatchObject({ service: "reviews", namespace: "shop", version: "v2", locality: { cluster: "east" } });
    expect(bootstrap.listeners.find((l) => l.kind === "inbound")).toMatchObject({ port: 15006, app: { port: 9080 } });
  });

  it("appends to existing annotations and volumes without replacing them", async () => {
    const pod = deploymentPod({ annotations: { "prometheus.io/scrape": "true" }, volumes: [{ name: "data", emptyDir: {} }] });
    const { patch } = await mutate(admissionReview(pod));
    const patched = applyPatch(pod, patch!) as { metadata: { annotations: Record<string, string> }; spec: { volumes: { name: string }[] } };
    expect(patched.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "weft.io/injected": "true" });
    expect(patched.spec.volumes.map((v) => v.name)).toEqual(["data", "weft-proxy-config"]);
    expect(patch!.map((op) => op.path)).toContain("/metadata/annotations/weft.io~1injected");
  });

  it.each([
    ["an already-injected pod (annotation)", admissionReview(deploymentPod({ annotations: { [ANNOTATIONS.injected]: "true" } }), "shop", "uid-2")],
    ["an already-injected pod (sidecar present)", admissionReview(deploymentPod({ containers: [{ name: "app", image: "a" }, { name: SIDECAR_NAME, image: "p" }] }), "shop", "uid-2")],
    ["a pod in a namespace without the mesh label", admissionReview(deploymentPod(), "kube-system", "uid-2")],
    ["a pod that opted out", admissionReview(deploymentPod({ annotations: { [ANNOTATIONS.inject]: "false" } }), "shop", "uid-2")],
    ["an UPDATE", admissionReview(deploymentPod(), "shop", "uid-2", "UPDATE")],
  ])("allows %s untouched: no patch", async (_what, review) => {
    const { response, patch } = await mutate(review);
    expect(response).toEqual({ uid: "uid-2", allowed: true });
    expect(patch).toBeUndefined();
  });

  it("is idempotent: a second review of the patched pod changes nothing", async () => {
    const pod = deploymentPod();
    const first = await mutate(admissionReview(pod, "payments"));
    const reinvoked = await mutate(admissionReview(applyPatch(pod, first.patch!), "payments"));
    expect(reinvoked.patch).toBeUndefined();
  });

  it("with the sidecar API set, the sidecar pulls from the agent with a projected weft-agent token and the agent's CA", () => {
    const pod = deploymentPod();
    const settings = { image: "ghcr.io/weft/proxy:0.1.0", cluster: "east", sidecarApi: { url: "https://weft-agent.weft-system.svc:15012", caPem: ca } };
    const out = review(admissionReview(pod), { settings, isMeshNamespace: () => true, logger }) as { body: { response: { patch: string } } };
    const patch = JSON.parse(Buffer.from(out.body.response.patch, "base64").toString("utf8")) as { op: string; path: string; value: unknown }[];
    const patched = applyPatch(pod, patch) as { spec: { containers: Json[]; initContainers: { env: { name: string; value: string }[]; command: string[] }[]; volumes: Json[] } };
    const sidecar = patched.spec.containers[1]!;
    expect(sidecar.args).toEqual([
      "--config",
      CONFIG_FILE,
      "--config-url",
      "https://weft-agent.weft-system.svc:15012",
      "--token-file",
      "/var/run/secrets/weft/token",
      "--identity-dir",
      "/etc/weft/proxy/identity",
      "--ca-file",
      "/etc/weft/proxy/agent-ca.pem",
    ]);
    expect(sidecar.volumeMounts).toEqual([
      { name: "weft-proxy-config", mountPath: "/etc/weft/proxy" },
      { name: "weft-token", mountPath: "/var/run/secrets/weft", readOnly: true },
    ]);
    // Short-lived and only good for the agent: the API server refuses it, the agent's TokenReview asks for this audience.
    expect(patched.spec.volumes).toEqual([
      { name: "weft-proxy-config", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      { name: "weft-token", projected: { sources: [{ serviceAccountToken: { audience: "weft-agent", expirationSeconds: 3600, path: "token" } }] } },
    ]);
    const init = patched.spec.initContainers[0]!;
    expect(init.env.find((e) => e.name === "WEFT_AGENT_CA")?.value).toBe(ca);
    expect(init.command).toContain("/etc/weft/proxy/agent-ca.pem");
  });

  it("rejects what is not an AdmissionReview v1 with 400 and answers health checks", async () => {
    const bad = await post({ apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: { uid: "x" } });
    expect(bad.status).toBe(400);
    expect(String(bad.body.error)).toContain("admission.k8s.io/v1");
    expect((await post({}, "/nope")).status).toBe(404);
  });
});
