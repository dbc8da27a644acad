import { z } from "zod";

/** The agent's settings. Each comes from a flag, an environment variable or the config file, in that order of precedence. */
export const AgentConfigSchema = z.object({
  manager: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL of the manager, e.g. https://weft.example.com" })
    .describe("URL of the Weft manager API."),
  managerCaFile: z.string().min(1).optional().describe("PEM CA bundle the manager's certificate must chain to (instead of the system's CAs, and NODE_EXTRA_CA_CERTS)."),
  managerPin: z
    .string()
    .regex(/^sha256\/[A-Za-z0-9+/]{43}=$/, "must be sha256/ and the base64 SHA-256 of the manager certificate's public key (44 characters)")
    .optional()
    .describe("Pin of the manager's public key, sha256/<base64>: the agent refuses any other key (with managerCaFile, on top of the chain check; alone, for a self-signed manager)."),
  joinToken: z.string().min(16, "must be the join token the manager printed for this cluster").optional().describe("One-time token to join a cluster; exchanged for long-lived credentials."),
  cluster: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and '-', at most 63 characters")
    .optional()
    .describe("Name of the cluster this agent serves (taken from the join token when omitted)."),
  mode: z.enum(["universal", "kubernetes"]).default("universal").describe("Discovery mode: a local file of services (universal) or the Kubernetes API."),
  universalFile: z.string().min(1).default("weft-universal.yaml").describe("Universal mode: the YAML file declaring services and instances."),
  stateDir: z.string().min(1).default(".weft/agent").describe("Folder for credentials, certificates and the cached config."),
  adminPort: z.coerce.number({ error: "must be a port number" }).int("must be a whole number").min(0, "must be between 0 and 65535").max(65535, "must be between 0 and 65535").default(15000).describe("Loopback port of the agent's status endpoint."),
  logLevel: z.enum(["error", "warn", "info", "debug"]).default("info").describe("Log level."),
  fullResyncSeconds: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number")
    .min(10, "must be at least 10")
    .max(86_400, "must be at most 86400")
    .default(300)
    .describe("Seconds between full discovery snapshots sent to the manager (deltas in between)."),
  telemetryIntervalSeconds: z.coerce
    .number({ error: "must be a number of seconds" })
    .min(0.2, "must be at least 0.2")
    .max(3600, "must be at most 3600")
    .default(10)
    .describe("Seconds between telemetry collections from the local proxies (shipped to the manager as deltas)."),
  svidTtlSeconds: z.coerce
    .number({ error: "must be a number of seconds" })
    .int("must be a whole number")
    .min(10, "must be at least 10")
    .max(30 * 86_400, "must be at most 2592000 (30 days)")
    // Optional rather than defaulted, so configs built in code (tests, embedders) need not name it.
    .optional()
    .describe("Seconds a workload X.509-SVID is valid (default 86400: 24 h); renewed at about half of it, never beyond the cluster intermediate's expiry."),
  proxyBin: z.string().min(1).optional().describe("Universal mode: path of weft-proxy.js (the workspace's @weft/proxy when omitted)."),
  proxyImage: z.string().min(1).default("ghcr.io/weft-mesh/weft-proxy:0.1.0").describe("Kubernetes mode: image of the injected proxy sidecar."),
  webhookPort: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    .default(9443)
    .describe("Kubernetes mode: HTTPS port of the sidecar-injection webhook."),
  webhookCertFile: z.string().min(1).optional().describe("Kubernetes mode: PEM certificate of the webhook; the webhook is off without it."),
  webhookKeyFile: z.string().min(1).optional().describe("Kubernetes mode: PEM private key of the webhook."),
  sidecarApiPort: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    // Optional rather than defaulted (15012 in agent.ts), so configs built in code (tests, embedders) need not name it.
    .optional()
    .describe("Kubernetes mode: HTTPS port of the sidecar API (config long poll, acks, SVIDs), served with the webhook's certificate (default 15012)."),
  sidecarApiUrl: z
    .url({ protocol: /^https$/, error: "must be an https URL, e.g. https://weft-agent.weft-system.svc:15012" })
    .optional()
    .describe("Kubernetes mode: the sidecar API's URL as injected sidecars reach it (default https://weft-agent.weft-system.svc:15012, the agent's Service); the webhook's certificate must be valid for its host."),
  sidecarApiCaFile: z.string().min(1).optional().describe("Kubernetes mode: PEM CA that signed the webhook's certificate; injected sidecars verify the agent with it (the image's system CAs when omitted)."),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentSetting = keyof AgentConfig;

/** How each setting is spelled as a flag and as an environment variable. */
export const SETTINGS: Record<AgentSetting, { flag: string; env: string; secret?: boolean }> = {
  manager: { flag: "manager", env: "WEFT_MANAGER_URL" },
  managerCaFile: { flag: "manager-ca", env: "WEFT_MANAGER_CA" },
  managerPin: { flag: "manager-pin", env: "WEFT_MANAGER_PIN" },
  joinToken: { flag: "join-token", env: "WEFT_JOIN_TOKEN", secret: true },
  cluster: { flag: "cluster", env: "WEFT_CLUSTER" },
  mode: { flag: "mode", env: "WEFT_AGENT_MODE" },
  universalFile: { flag: "universal-file", env: "WEFT_UNIVERSAL_FILE" },
  stateDir: { flag: "state-dir", env: "WEFT_AGENT_STATE_DIR" },
  adminPort: { flag: "admin-port", env: "WEFT_AGENT_ADMIN_PORT" },
  logLevel: { flag: "log-level", env: "WEFT_LOG_LEVEL" },
  fullResyncSeconds: { flag: "full-resync", env: "WEFT_FULL_RESYNC_SECONDS" },
  telemetryIntervalSeconds: { flag: "telemetry-interval", env: "WEFT_TELEMETRY_INTERVAL_SECONDS" },
  svidTtlSeconds: { flag: "svid-ttl", env: "WEFT_SVID_TTL_SECONDS" },
  proxyBin: { flag: "proxy-bin", env: "WEFT_PROXY_BIN" },
  proxyImage: { flag: "proxy-image", env: "WEFT_PROXY_IMAGE" },
  webhookPort: { flag: "webhook-port", env: "WEFT_WEBHOOK_PORT" },
  webhookCertFile: { flag: "webhook-cert", env: "WEFT_WEBHOOK_CERT" },
  webhookKeyFile: { flag: "webhook-key", env: "WEFT_WEBHOOK_KEY" },
  sidecarApiPort: { flag: "sidecar-api-port", env: "WEFT_SIDECAR_API_PORT" },
  sidecarApiUrl: { flag: "sidecar-api-url", env: "WEFT_SIDECAR_API_URL" },
  sidecarApiCaFile: { flag: "sidecar-api-ca", env: "WEFT_SIDECAR_API_CA" },
};

export type Source = "flag" | "env" | "file" | "default";

/** One bad setting, named the way the operator wrote it. */
export interface ConfigProblem {
  /** `--join-token`, `WEFT_MANAGER_URL` or `agent.yaml: manager`. */
  where: string;
  message: string;
}

export class AgentConfigError extends Error {
  override readonly name = "AgentConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.where}: ${p.message}`).join("\n"));
  }
}

export interface ConfigLayers {
  flags: Partial<Record<AgentSetting, string>>;
  env: NodeJS.ProcessEnv;
  file?: { path: string; values: Record<string, unknown> };
}

/**
 * Merges flags over environment over file over defaults and validates the
 * result. Every problem names where the bad value came from.
 */
export function resolveAgentConfig(layers: ConfigLayers): { config: AgentConfig; sources: Record<AgentSetting, Source> } {
  const problems: ConfigProblem[] = [];
  const merged: Record<string, unknown> = {};
  const sources = {} as Record<AgentSetting, Source>;
  const known = new Set(Object.keys(SETTINGS));
  for (const key of Object.keys(layers.file?.values ?? {})) {
    if (!known.has(key)) problems.push({ where: `${layers.file!.path}: ${key}`, message: `unknown setting; known settings are ${[...known].join(", ")}` });
  }
  for (const [key, spelling] of Object.entries(SETTINGS) as [AgentSetting, (typeof SETTINGS)[AgentSetting]][]) {
    const flag = layers.flags[key];
    const env = layers.env[spelling.env];
    const file = layers.file?.values[key];
    if (flag !== undefined) [merged[key], sources[key]] = [flag, "flag"];
    else if (env !== undefined && env !== "") [merged[key], sources[key]] = [env, "env"];
    else if (file !== undefined) [merged[key], sources[key]] = [file, "file"];
    else sources[key] = "default";
  }
  const result = AgentConfigSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0]) as AgentSetting;
      const spelling = SETTINGS[key];
      const where =
        sources[key] === "flag" ? `--${spelling.flag}` : sources[key] === "env" ? spelling.env : sources[key] === "file" ? `${layers.file!.path}: ${key}` : `--${spelling.flag}`;
      const message = issue.code === "invalid_type" && merged[key] === undefined ? `is required (set --${spelling.flag} or ${spelling.env})` : issue.message;
      problems.push({ where, message });
    }
  }
  if (problems.length > 0) throw new AgentConfigError(problems);
  return { config: result.data!, sources };
}

/** The effective config with secrets masked, for printing. */
export function describeConfig(config: AgentConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, SETTINGS[key as AgentSetting].secret && value !== undefined ? "***" : value]),
  );
}
