// npm start: builds what is stale, then runs the manager (on the embedded
// database unless DATABASE_URL is set) and the dashboard, and stops them all
// on ctrl-C or SIGTERM.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { startDemo } from "./demo/demo.ts";
import { startChild, waitForHttp, type Child } from "./processes.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));

const port = (fallback: number) => z.coerce.number({ error: "must be a port number" }).int().min(1, "must be between 1 and 65535").max(65535, "must be between 1 and 65535").default(fallback);
const EnvSchema = z.object({
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

const parsed = EnvSchema.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`weft: ${String(issue.path[0])}: ${issue.message}`);
  process.exit(2);
}
const env = parsed.data;
const log = (line: string) => process.stdout.write(`${line}\n`);

if (env.WEFT_SKIP_BUILD === "0") {
  log("weft: building (generated Prisma client, dashboard, bundled proxy); cached after the first run ...");
  const build = spawnSync(process.execPath, [createRequire(import.meta.url).resolve("turbo/bin/turbo"), "run", "build", "--filter=@weft/web", "--filter=@weft/proxy", "--output-logs=errors-only"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", TURBO_TELEMETRY_DISABLED: "1" },
  });
  if (build.status !== 0) {
    console.error("weft: the build failed; see the output above.");
    process.exit(1);
  }
}

const childEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", WEFT_HOME: env.WEFT_HOME };
const children: Child[] = [];
let stopping = false;

async function stopAll(exitCode: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log("weft: stopping ...");
    // Dashboard first, so nothing calls the manager while it shuts down.
    for (const child of [...children].reverse()) await child.stop();
    log("weft: stopped.");
  }
  process.exit(exitCode);
}

let signals = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (++signals > 1) {
      for (const child of children) if (child.process.pid) process.kill(-child.process.pid, "SIGKILL");
      process.exit(130);
    }
    void stopAll(0);
  });
}

// npm answers SIGTERM by exiting without passing it on to the script, which
// would orphan us; a changed parent means whoever started us is gone.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stopAll(0);
}, 500).unref();

function watch(child: Child): Child {
  children.push(child);
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`weft: ${child.name} exited unexpectedly (${code}); stopping the platform.`);
    void stopAll(1);
  });
  return child;
}

try {
  const apiUrl = `http://${env.WEFT_API_HOST}:${env.WEFT_API_PORT}`;
  const manager = watch(
    startChild({ name: "manager", command: process.execPath, args: ["apps/api/bin/weft-manager.js"], cwd: root, env: childEnv, output: log }),
  );
  await waitForHttp(`${apiUrl}/healthz`, manager, 180_000);

  const webUrl = `http://${env.WEFT_WEB_HOST}:${env.WEFT_WEB_PORT}`;
  const web = watch(
    startChild({ name: "dashboard", command: process.execPath, args: ["--import", "tsx", "scripts/next.ts", "start"], cwd: `${root}apps/web`, env: childEnv, output: log }),
  );
  await waitForHttp(webUrl, web, 120_000);

  const demo =
    env.WEFT_DEMO === "1"
      ? await startDemo({ root, home: resolve(root, env.WEFT_HOME), apiUrl, portBase: env.WEFT_DEMO_PORT_BASE, rps: env.WEFT_DEMO_RPS, env: childEnv, log, watch })
      : undefined;

  log("");
  log(`  Weft is running.`);
  log(`  Dashboard:   ${webUrl}`);
  log(`  Manager API: ${apiUrl}  (health: ${apiUrl}/healthz)`);
  log(`  Database:    ${process.env.DATABASE_URL ? "PostgreSQL from DATABASE_URL" : `embedded PostgreSQL, data in ${env.WEFT_HOME}`}`);
  if (demo) {
    for (const c of demo.clusters) log(`  Demo:        cluster ${c.name}: ${c.instances.length} instances, agent status http://127.0.0.1:${c.agentAdminPort}/status`);
    log(`               traffic generator: ${env.WEFT_DEMO_RPS} requests/s per cluster (WEFT_DEMO=0 turns the demo off)`);
  } else {
    log(`  Demo:        off (WEFT_DEMO=0)`);
  }
  log(`  Press ctrl-C to stop.`);
  log("");
} catch (err) {
  console.error(`weft: ${(err as Error).message}`);
  await stopAll(1);
}
