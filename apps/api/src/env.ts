import { isAbsolute, resolve } from "node:path";
import { boundedDuration } from "@weft/mesh-model";
import { z } from "zod";
import { egressAllowProblems } from "./transport/egress-policy.ts";

const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    .default(fallback);

const DAY_MS = 86_400_000;

const CA_KEY_MESSAGE = "must be base64 of at least 32 random bytes (generate one with `openssl rand -base64 32`)";

/** True for base64 text that decodes to at least 32 bytes: the CA key's only accepted form. */
export function isCaKeyText(text: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0 && Buffer.from(text, "base64").length >= 32;
}

/** The manager's environment, parsed once at start. */
export const EnvSchema = z.object({
  WEFT_API_HOST: z.string().min(1).default("127.0.0.1").describe("Address the manager API listens on."),
  WEFT_API_PORT: port(4000).describe("Port of the manager API."),
  WEFT_API_TLS_CERT_FILE: z.string().min(1).optional().describe("PEM certificate (with its chain) the manager API serves https with; set with WEFT_API_TLS_KEY_FILE."),
  WEFT_API_TLS_KEY_FILE: z.string().min(1).optional().describe("PEM private key of WEFT_API_TLS_CERT_FILE."),
  WEFT_API_ALLOW_PLAINTEXT: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .default("false")
    .describe("Serve plain http on a non-loopback WEFT_API_HOST: only behind a TLS-terminating proxy or load balancer that carries the traffic the rest of the way."),
  WEFT_API_MAX_BODY_BYTES: z.coerce
    .number({ error: "must be a number of bytes" })
    .int("must be a whole number")
    .min(1024, "must be at least 1024")
    .max(64 * 1024 * 1024, "must be at most 67108864 (64 MiB)")
    .default(1024 * 1024)
    .describe("Largest request body the API accepts, in bytes (larger ones get 413). Default 1 MiB."),
  DATABASE_URL: z
    .string()
    .trim()
    .min(1, "is empty; unset it to use the embedded database")
    .optional()
    .describe("PostgreSQL URL; unset, the manager runs an embedded PostgreSQL in WEFT_HOME."),
  WEFT_HOME: z.string().min(1).default(".weft").describe("State folder (embedded database, generated secrets)."),
  WEFT_DB_PORT: port(0).describe("Serve the embedded database on this loopback TCP port (no authentication: for debugging); unset, it listens only on a socket in WEFT_HOME/run."),
  WEFT_TRUST_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS name, e.g. weft.local")
    .default("weft.local")
    .describe("SPIFFE trust domain of the mesh created on first start."),
  WEFT_COOKIE_SECURE: z
    .enum(["auto", "always", "never"])
    .default("auto")
    .describe("Secure flag of session cookies: auto sets it when the request came over https (or X-Forwarded-Proto: https)."),
  WEFT_OIDC_ISSUER: z.url({ message: "must be a URL" }).optional().describe("OIDC issuer URL; set it (with the three below) to enable sign-in through an OIDC provider."),
  WEFT_OIDC_CLIENT_ID: z.string().min(1).optional().describe("OIDC client id."),
  WEFT_OIDC_CLIENT_SECRET: z.string().min(1).optional().describe("OIDC client secret."),
  WEFT_OIDC_REDIRECT_URL: z.url({ message: "must be a URL" }).optional().describe("The manager's /auth/oidc/callback as browsers reach it, registered at the provider."),
  WEFT_OIDC_DEFAULT_ROLE: z.enum(["VIEWER", "OPERATOR", "ADMIN"]).default("VIEWER").describe("Mesh-wide role of users created by their first OIDC sign-in."),
  WEFT_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("Log level."),
  WEFT_SPAN_RETENTION: boundedDuration({ minMs: 60_000, maxMs: 7 * 86_400_000 })
    .default("1h")
    .describe('How long the manager keeps proxies\' spans for trace views, e.g. "30m", "1h", "24h" (default 1h).'),
  WEFT_ROTATION_TICK: boundedDuration({ minMs: 100, maxMs: 600_000 })
    .default("5s")
    .describe('How often the root rotation controller checks the clusters and advances an open rotation, e.g. "1s", "5s" (default 5s).'),
  WEFT_CA_KEY: z
    .string()
    .trim()
    .refine(isCaKeyText, CA_KEY_MESSAGE)
    .optional()
    .describe("Key that seals the mesh CA's private key at rest: base64 of 32 random bytes (`openssl rand -base64 32`). Never logged."),
  WEFT_CA_KEY_FILE: z.string().min(1).optional().describe("File holding WEFT_CA_KEY's value instead (read at start). With neither set, the embedded default creates WEFT_HOME/ca.key."),
  WEFT_METRICS_PROMETHEUS_URL: z
    .url({ message: "must be a URL" })
    .refine((u) => /^https?:\/\//.test(u), "must be an http or https URL")
    .optional()
    .describe("Read service metrics (SLOs, canary analysis) with PromQL from this Prometheus-compatible server (Prometheus, Thanos Query, Mimir's /prometheus) instead of the manager's rollups."),
  WEFT_ROLLUP_HOURLY_RETENTION: z
    .string()
    .regex(/^[0-9]+d$/, 'must be a number of days, like "35d"')
    // Parsed here once: the manager reads milliseconds.
    .transform((t) => Number(t.slice(0, -1)) * DAY_MS)
    .refine((ms) => ms >= DAY_MS && ms <= 400 * DAY_MS, "must be between 1d and 400d")
    .default(35 * DAY_MS)
    .describe("How long hourly rollups are kept, in days (\"35d\"; read as milliseconds). SLO windows up to this long can be judged. Default 35d: a 30-day window and room."),
  WEFT_ROLLOUT_TICK: boundedDuration({ minMs: 200, maxMs: 600_000 }).default("5s").describe('How often the rollout controller advances running rollouts, e.g. "1s", "5s" (default 5s); keep it below the rollouts\' analysis intervals.'),
  WEFT_SLO_TICK: boundedDuration({ minMs: 1_000, maxMs: 600_000 }).default("30s").describe('How often the SLO evaluator judges every SLO, e.g. "10s", "30s" (default 30s).'),
  WEFT_OUTBOUND_ALLOW: z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      for (const p of egressAllowProblems(text ?? "")) ctx.addIssue({ code: "custom", message: `entry "${p.entry}" ${p.message}` });
    })
    .describe(
      'Where the manager\'s own HTTP calls (rollout webhooks, notification channels) may connect besides public addresses: comma-separated CIDRs ("10.20.0.0/16"), addresses, host names ("hooks.internal") and wildcards ("*.corp.example"). Unset: public addresses only (no loopback, private, link-local or metadata addresses); npm start sets 127.0.0.0/8,::1 for its demo.',
    ),
  WEFT_DASHBOARD_URL: z
    .url({ message: "must be a URL" })
    .default("http://127.0.0.1:3000")
    .describe("The dashboard as people reach it: links in tickets and notifications point there. Default http://127.0.0.1:3000."),
});

export type Env = z.infer<typeof EnvSchema> & { WEFT_HOME: string };

const OIDC_VARIABLES = ["WEFT_OIDC_ISSUER", "WEFT_OIDC_CLIENT_ID", "WEFT_OIDC_CLIENT_SECRET", "WEFT_OIDC_REDIRECT_URL"] as const;

function oidcProblems(env: Env): { variable: string; message: string }[] {
  const set = OIDC_VARIABLES.filter((v) => env[v] !== undefined);
  if (set.length === 0) return [];
  const problems = OIDC_VARIABLES.filter((v) => env[v] === undefined).map((variable) => ({ variable, message: `is required with ${set.join(", ")}` }));
  if (env.WEFT_OIDC_ISSUER) {
    const issuer = new URL(env.WEFT_OIDC_ISSUER);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(issuer.hostname);
    if (issuer.protocol !== "https:" && !(issuer.protocol === "http:" && loopback)) problems.push({ variable: "WEFT_OIDC_ISSUER", message: "must be https (plain http only on loopback)" });
  }
  return problems;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Sessions, API tokens and agent credentials travel on every request: a
 * manager reachable from other machines serves https, or is told explicitly
 * that something in front of it does.
 */
function transportProblems(env: Env): { variable: string; message: string }[] {
  const cert = env.WEFT_API_TLS_CERT_FILE;
  const key = env.WEFT_API_TLS_KEY_FILE;
  if ((cert === undefined) !== (key === undefined)) return [{ variable: cert ? "WEFT_API_TLS_KEY_FILE" : "WEFT_API_TLS_CERT_FILE", message: "is required with " + (cert ? "WEFT_API_TLS_CERT_FILE" : "WEFT_API_TLS_KEY_FILE") }];
  if (cert || isLoopbackHost(env.WEFT_API_HOST) || env.WEFT_API_ALLOW_PLAINTEXT === "true") return [];
  return [
    {
      variable: "WEFT_API_HOST",
      message: `is ${env.WEFT_API_HOST}, reachable from other machines, and the manager has no TLS: sign-ins, tokens and agent credentials would travel in plain text. Set WEFT_API_TLS_CERT_FILE and WEFT_API_TLS_KEY_FILE to serve https, or WEFT_API_ALLOW_PLAINTEXT=true if a TLS-terminating proxy in front of the manager carries the traffic`,
    },
  ];
}

/** A bad environment variable, named with the reason. */
export class EnvError extends Error {
  override readonly name = "EnvError";
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join("\n"));
  }
}

/** Parses the environment; throws EnvError naming each bad variable. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Env {
  // An empty variable means "unset" for optional settings, as in most shells' habits.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([k, v]) => !(k in EnvSchema.shape && k !== "DATABASE_URL" && v === "")));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "environment");
        const got = source[variable];
        const secret = variable === "DATABASE_URL" || variable === "WEFT_OIDC_CLIENT_SECRET" || variable === "WEFT_CA_KEY";
        const shown = secret || got === undefined ? "" : ` (got "${got}")`;
        return { variable, message: `${issue.message}${shown}` };
      }),
    );
  }
  const env = result.data as Env;
  const problems = oidcProblems(env);
  problems.push(...transportProblems(env));
  if (env.WEFT_CA_KEY && env.WEFT_CA_KEY_FILE) problems.push({ variable: "WEFT_CA_KEY_FILE", message: "set WEFT_CA_KEY or WEFT_CA_KEY_FILE, not both" });
  if (problems.length > 0) throw new EnvError(problems);
  return {
    ...env,
    WEFT_HOME: isAbsolute(env.WEFT_HOME) ? env.WEFT_HOME : resolve(cwd, env.WEFT_HOME),
    ...(env.WEFT_CA_KEY_FILE ? { WEFT_CA_KEY_FILE: resolve(cwd, env.WEFT_CA_KEY_FILE) } : {}),
    ...(env.WEFT_API_TLS_CERT_FILE ? { WEFT_API_TLS_CERT_FILE: resolve(cwd, env.WEFT_API_TLS_CERT_FILE) } : {}),
    ...(env.WEFT_API_TLS_KEY_FILE ? { WEFT_API_TLS_KEY_FILE: resolve(cwd, env.WEFT_API_TLS_KEY_FILE) } : {}),
  };
}
