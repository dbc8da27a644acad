import { z } from "zod";

const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be between 0 and 65535")
    .max(65535, "must be between 0 and 65535")
    .default(fallback);

const host = (fallback: string) => z.string().trim().min(1, "must not be empty").default(fallback);

/** The dashboard's server-side environment, parsed once at start. */
export const EnvSchema = z.object({
  WEFT_WEB_HOST: host("127.0.0.1").describe("Address the dashboard listens on."),
  WEFT_WEB_PORT: port(3000).describe("Port of the dashboard."),
  WEFT_API_HOST: host("127.0.0.1").describe("Address of the manager API the dashboard forwards /trpc and /healthz to."),
  WEFT_API_PORT: port(4000).describe("Port of the manager API."),
  WEFT_API_SCHEME: z
    .enum(["http", "https"], { error: 'must be "http" or "https"' })
    .default("http")
    .describe("How the dashboard reaches the manager: https for a manager serving TLS (WEFT_API_TLS_CERT_FILE); a private CA goes in Node's NODE_EXTRA_CA_CERTS."),
});

export type Env = z.infer<typeof EnvSchema>;

/** A bad environment variable, named with the reason. */
export class EnvError extends Error {
  override readonly name = "EnvError";
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join("\n"));
  }
}

/** Parses the environment; throws EnvError naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // An empty variable means "unset", as in most shells' habits.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([k, v]) => k in EnvSchema.shape && v !== ""));
  const result = EnvSchema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "environment");
        const got = source[variable];
        return { variable, message: got === undefined ? issue.message : `${issue.message} (got "${got}")` };
      }),
    );
  }
  return result.data;
}

/** scheme://host:port of the manager API; IPv6 literals get their brackets. */
export function apiOrigin(env: Pick<Env, "WEFT_API_HOST" | "WEFT_API_PORT"> & { WEFT_API_SCHEME?: Env["WEFT_API_SCHEME"] }): string {
  const h = env.WEFT_API_HOST.includes(":") && !env.WEFT_API_HOST.startsWith("[") ? `[${env.WEFT_API_HOST}]` : env.WEFT_API_HOST;
  return `${env.WEFT_API_SCHEME ?? "http"}://${h}:${env.WEFT_API_PORT}`;
}
