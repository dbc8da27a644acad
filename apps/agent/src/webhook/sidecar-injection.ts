// Sidecar injection: what the mutating webhook adds to a pod. Pure: pod in,
// decision and JSON Patch out.
import type { V1Container, V1Pod, V1Volume } from "@kubernetes/client-node";
import { ProxyConfigSchema, type ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { SIDECAR_TOKEN_AUDIENCE } from "../sidecar/token-review.ts";

export const ANNOTATIONS = {
  /** Set on every injected pod; its presence makes injection idempotent. */
  injected: "weft.io/injected",
  /** `"false"` on a pod (annotation or label) opts it out of injection. */
  inject: "weft.io/inject",
} as const;

export const SIDECAR_NAME = "weft-proxy";
export const INIT_NAME = "weft-proxy-init";
export const CONFIG_VOLUME = "weft-proxy-config";
export const CONFIG_DIR = "/etc/weft/proxy";
export const CONFIG_FILE = `${CONFIG_DIR}/proxy.yaml`;

export const PROXY_PORTS = { outbound: 15001, inbound: 15006, admin: 15020 } as const;

/** The projected service-account token the sidecar authenticates to the agent with. */
export const TOKEN_VOLUME = "weft-token";
export const TOKEN_DIR = "/var/run/secrets/weft";
export const TOKEN_FILE = `${TOKEN_DIR}/token`;
/** Short-lived (the kubelet refreshes it at 80 %); 600 s is the API server's minimum. */
export const TOKEN_EXPIRY_SECONDS = 3600;
/** Where the sidecar keeps its own key and SVID (the memory-backed config volume). */
export const IDENTITY_DIR = `${CONFIG_DIR}/identity`;
/** The CA the sidecar verifies the agent's sidecar API with, written by the init step. */
export const AGENT_CA_FILE = `${CONFIG_DIR}/agent-ca.pem`;

export interface InjectionSettings {
  /** The proxy image (it also runs the init step, with the image's `node`). */
  image: string;
  cluster?: string;
  resources?: V1Container["resources"];
  /**
   * The agent's sidecar API: with it the sidecar pulls the mesh config and its
   * SVID from there (authenticated by a projected token); without it, it runs
   * its bootstrap config only.
   */
  sidecarApi?: { url: string; caPem?: string };
}

export type InjectionDecision = { inject: false; reason: string } | { inject: true; patch: JsonPatchOp[] };

export interface JsonPatchOp {
  op: "add" | "replace";
  path: string;
  value: unknown;
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export const pointerEscape = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

const DEFAULT_RESOURCES: V1Container["resources"] = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } };

/** The service a pod belongs to, by the usual labels; the pod's name stem otherwise. */
export function serviceOf(pod: V1Pod): string {
  const labels = pod.metadata?.labels ?? {};
  const raw = labels["app.kubernetes.io/name"] ?? labels.app ?? (pod.metadata?.generateName ?? pod.metadata?.name ?? "workload").replace(/-+$/, "");
  return raw.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 63).replace(/^-+|-+$/g, "") || "workload";
}

/**
 * The config the sidecar starts with, before the agent pushes the mesh
 * config: inbound in front of the app's first container port, outbound on
 * loopback, admin on all interfaces so the kubelet can probe /ready.
 */
export function bootstrapConfig(pod: V1Pod, namespace: string, settings: InjectionSettings): ProxyConfigInput {
  const appPort = pod.spec?.containers.flatMap((c) => c.ports ?? []).find((p) => (p.protocol ?? "TCP") === "TCP")?.containerPort;
  const version = pod.metadata?.labels?.version;
  return {
    version: "bootstrap",
    node: { service: serviceOf(pod), namespace, ...(version && { version }), locality: settings.cluster ? { cluster: settings.cluster } : {} },
    listeners: [
      { kind: "outbound", name: "outbound", address: "127.0.0.1", port: PROXY_PORTS.outbound },
      ...(appPort ? [{ kind: "inbound" as const, name: "inbound", address: "0.0.0.0", port: PROXY_PORTS.inbound, app: { address: "127.0.0.1", port: appPort } }] : []),
      { kind: "admin", name: "admin", address: "0.0.0.0", port: PROXY_PORTS.admin },
    ],
  };
}

function sidecar(settings: InjectionSettings, cluster: string | undefined): V1Container {
  const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } });
  const api = settings.sidecarApi;
  return {
    name: SIDECAR_NAME,
    image: settings.image,
    args: [
      "--config",
      CONFIG_FILE,
      ...(api ? ["--config-url", api.url, "--token-file", TOKEN_FILE, "--identity-dir", IDENTITY_DIR, ...(api.caPem ? ["--ca-file", AGENT_CA_FILE] : [])] : []),
    ],
    ports: [
      { name: "weft-inbound", containerPort: PROXY_PORTS.inbound, protocol: "TCP" },
      { name: "weft-admin", containerPort: PROXY_PORTS.admin, protocol: "TCP" },
    ],
    env: [
      { name: "POD_NAME", ...field("metadata.name") },
      { name: "POD_NAMESPACE", ...field("metadata.namespace") },
      { name: "POD_SERVICE_ACCOUNT", ...field("spec.serviceAccountName") },
      { name: "POD_IP", ...field("status.podIP") },
      ...(cluster ? [{ name: "WEFT_CLUSTER", value: cluster }] : []),
    ],
    resources: settings.resources ?? DEFAULT_RESOURCES,
    readinessProbe: { httpGet: { path: "/ready", port: PROXY_PORTS.admin }, periodSeconds: 2, failureThreshold: 3 },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1337,
      runAsGroup: 1337,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [{ name: CONFIG_VOLUME, mountPath: CONFIG_DIR }, ...(api ? [{ name: TOKEN_VOLUME, mountPath: TOKEN_DIR, readOnly: true }] : [])],
  };
}

function initContainer(settings: InjectionSettings, bootstrap: ProxyConfigInput): V1Container {
  const base = sidecar(settings, undefined);
  return {
    name: INIT_NAME,
    image: settings.image,
    // The bootstrap config travels in the pod spec (no ConfigMap, so the agent needs no write access to the API).
    command: [
      "node",
      "-e",
      "const fs = require('node:fs'); fs.writeFileSync(process.argv[1], process.env.WEFT_PROXY_BOOTSTRAP); if (process.env.WEFT_AGENT_CA) fs.writeFileSync(process.argv[2], process.env.WEFT_AGENT_CA)",
      CONFIG_FILE,
      AGENT_CA_FILE,
    ],
    env: [{ name: "WEFT_PROXY_BOOTSTRAP", value: JSON.stringify(bootstrap) }, ...(settings.sidecarApi?.caPem ? [{ name: "WEFT_AGENT_CA", value: settings.sidecarApi.caPem }] : [])],
    resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    securityContext: base.securityContext,
    volumeMounts: [{ name: CONFIG_VOLUME, mountPath: CONFIG_DIR }],
  };
}

/**
 * Decides whether to inject the proxy into a pod being created and returns
 * the JSON Patch that does it. `meshNamespace` is the agent's own view of the
 * namespace label (`undefined` when it does not know the namespace yet: the
 * API server's namespaceSelector already vouched for it).
 */
export function planInjection(pod: V1Pod, namespace: string, meshNamespace: boolean | undefined, settings: InjectionSettings): InjectionDecision {
  const annotations = pod.metadata?.annotations ?? {};
  if (meshNamespace === false) return { inject: false, reason: `namespace ${namespace} is not mesh-enabled` };
  if (annotations[ANNOTATIONS.injected] !== undefined || pod.spec?.containers.some((c) => c.name === SIDECAR_NAME)) return { inject: false, reason: "already injected" };
  if (annotations[ANNOTATIONS.inject] === "false" || pod.metadata?.labels?.[ANNOTATIONS.inject] === "false") return { inject: false, reason: `opted out by ${ANNOTATIONS.inject}=false` };
  if (pod.spec?.hostNetwork) return { inject: false, reason: "hostNetwork pods share the node's ports" };

  const bootstrap = bootstrapConfig(pod, namespace, settings);
  // A config the proxy would refuse must fail here, not in a crash-looping sidecar.
  ProxyConfigSchema.parse(bootstrap);

  const patch: JsonPatchOp[] = [];
  if (pod.metadata?.annotations === undefined) patch.push({ op: "add", path: "/metadata/annotations", value: { [ANNOTATIONS.injected]: "true" } });
  else patch.push({ op: "add", path: `/metadata/annotations/${pointerEscape(ANNOTATIONS.injected)}`, value: "true" });

  // Memory-backed: the sidecar's private key lives here and never touches the node's disk.
  const volumes: V1Volume[] = [{ name: CONFIG_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }];
  if (settings.sidecarApi) {
    volumes.push({ name: TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: SIDECAR_TOKEN_AUDIENCE, expirationSeconds: TOKEN_EXPIRY_SECONDS, path: "token" } }] } });
  }
  if (pod.spec?.volumes === undefined) patch.push({ op: "add", path: "/spec/volumes", value: volumes });
  else for (const volume of volumes) patch.push({ op: "add", path: "/spec/volumes/-", value: volume });

  const init = initContainer(settings, bootstrap);
  if (pod.spec?.initContainers === undefined) patch.push({ op: "add", path: "/spec/initContainers", value: [init] });
  else patch.push({ op: "add", path: "/spec/initContainers/-", value: init });

  patch.push({ op: "add", path: "/spec/containers/-", value: sidecar(settings, settings.cluster) });
  return { inject: true, patch };
}
