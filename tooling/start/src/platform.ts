// The platform npm start runs — the manager (on the embedded database unless
// DATABASE_URL is set), the dashboard and the demo — as a library, so that
// the dashboard's browser suite can run against exactly what `npm start`
// runs. main.ts adds the build step, signal handling and the banner.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { startDemo, type RunningDemo } from "./demo/demo.ts";
import { startChild, waitForHttp, type Child } from "./processes.ts";

const port = (fallback: number) => z.coerce.number({ error: "must be a port number" }).int().min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").default(fallback);

/** npm start's settings, from the environment (README: "Settings"). */
export const SettingsSchema = z.object({
  WEFT_API_HOST: z.string().min(1).default("127.0.0.1"),
  WEFT_API_PORT: port(4000),
  WEFT_WEB_HOST: z.string().min(1).default("127.0.0.1"),
  WEFT_WEB_PORT: port(3000),
  WEFT_HOME: z.string().min(1).default(".weft"),
  WEFT_SKIP_BUILD: z.enum(["0", "1"]).default("0"),
  WEFT_DEMO: z.enum(["0", "1"]).default("1"),
  WEFT_DEMO_PORT_BASE: port(17000).refine((p) => p <= 65335, "must leave room for 200 ports"),
  WEFT_DEMO_RPS: z.coerce.number({ error: "must be a number" }).min(0.1).max(500).default(5),
});
export type Settings = z.infer<typeof SettingsSchema>;

export interface PlatformOptions {
  /** The repository's root folder. */
  root: string;
  settings: Settings;
  /** The environment the children get; the settings' addresses and WEFT_HOME override it. */
  env: NodeJS.ProcessEnv;
  /** Where the children's output goes, one prefixed line at a time. */
  log: (line: string) => void;
  /** Called as each child starts (a supervisor can then stop it even while the platform is still starting). */
  onStart?: (child: Child) => void;
  /** Called when a child exits while the platform is not stopping. */
  onUnexpectedExit?: (child: Child, code: number | NodeJS.Signals) => void;
}

export interface Platform {
  apiUrl: string;
  webUrl: string;
  /** The state folder, absolute. */
  home: string;
  /** Undefined with WEFT_DEMO=0. */
  demo: RunningDemo | undefined;
  /** Stops every process it started, dashboard first; safe to call twice. */
  stop(): Promise<void>;
}

/** `<home>/ca.key`: base64 of 32 random bytes, mode 0600, created once and never overwritten. */
export async function ensureCaKeyFile(home: string): Promise<string> {
  const path = join(home, "ca.key");
  await mkdir(home, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return path;
}

/**
 * Starts the manager, waits for its health check, then the dashboard, then
 * the demo. On a failure it stops what it started and throws.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { root, settings, log } = options;
  // The children read their addresses from the environment: give them the settings, whatever their source.
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    NEXT_TELEMETRY_DISABLED: "1",
    WEFT_HOME: settings.WEFT_HOME,
    WEFT_API_HOST: settings.WEFT_API_HOST,
    WEFT_API_PORT: String(settings.WEFT_API_PORT),
    WEFT_WEB_HOST: settings.WEFT_WEB_HOST,
    WEFT_WEB_PORT: String(settings.WEFT_WEB_PORT),
    // Everything runs on this machine: the manager may call back into it (the demo inbox's channel, webhooks of rollouts one tries).
    WEFT_OUTBOUND_ALLOW: options.env.WEFT_OUTBOUND_ALLOW || "127.0.0.0/8,::1",
  };
  const children: Child[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Dashboard first, so nothing calls the manager while it shuts down.
      for (const child of [...children].reverse()) await child.stop();
    })());
  const watch = (child: Child): Child => {
    children.push(child);
    options.onStart?.(child);
    void child.exited.then((code) => {
      if (!stopping) options.onUnexpectedExit?.(child, code);
    });
    return child;
  };

  try {
    const apiUrl = `http://${settings.WEFT_API_HOST}:${settings.WEFT_API_PORT}`;
    // One manager on this machine: the CA key can live in the state folder whatever the database
    // (the manager makes the same file itself on the embedded database, but not with DATABASE_URL,
    // where several replicas would each make a different one).
    if (!env.WEFT_CA_KEY && !env.WEFT_CA_KEY_FILE) env.WEFT_CA_KEY_FILE = await ensureCaKeyFile(resolve(root, settings.WEFT_HOME));
    const manager = watch(startChild({ name: "manager", command: process.execPath, args: ["apps/api/bin/weft-manager.js"], cwd: root, env, output: log }));
    await waitForHttp(`${apiUrl}/healthz`, manager, 180_000);

    const webUrl = `http://${settings.WEFT_WEB_HOST}:${settings.WEFT_WEB_PORT}`;
    const web = watch(startChild({ name: "dashboard", command: process.execPath, args: ["--import", "tsx", "scripts/next.ts", "start"], cwd: resolve(root, "apps/web"), env, output: log }));
    await waitForHttp(webUrl, web, 120_000);

    const home = resolve(root, settings.WEFT_HOME);
    const demo =
      settings.WEFT_DEMO === "1" ? await startDemo({ root, home, apiUrl, portBase: settings.WEFT_DEMO_PORT_BASE, rps: settings.WEFT_DEMO_RPS, env, log, watch }) : undefined;
    return { apiUrl, webUrl, home, demo, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
