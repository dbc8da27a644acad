// npm start: builds what is stale, then runs the manager (on the embedded
// database unless DATABASE_URL is set) and the dashboard, and stops them all
// on ctrl-C or SIGTERM.
import { spawnSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { killProxiesOf } from "@weft/agent/proxy-processes";
import { SettingsSchema, startPlatform } from "./platform.ts";
import type { Child } from "./processes.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));

const parsed = SettingsSchema.safeParse(process.env);
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

/**
 * The demo agents' proxies that are still running once their agents are gone.
 * Proxies outlive an agent that crashed, on purpose (the next agent adopts
 * them), so an agent cut short in its own stop (the forced stop below, or
 * the grace period running out) leaves them behind; the stop must not.
 */
async function killLeftoverProxies(): Promise<void> {
  const demo = join(resolve(root, env.WEFT_HOME), "demo");
  const clusters = await readdir(demo, { withFileTypes: true }).catch(() => []);
  for (const cluster of clusters) {
    if (!cluster.isDirectory()) continue;
    const killed = await killProxiesOf(join(demo, cluster.name, "agent")).catch(() => 0);
    if (killed > 0) log(`weft: stopped ${killed} proxy process${killed === 1 ? "" : "es"} the ${cluster.name} agent left running.`);
  }
}

// Tracked here as they start: a ctrl-C may come before the platform is up.
const children: Child[] = [];
let stopping: Promise<void> | undefined;

// Output must never stop the stop: if whoever reads our output (a pipe, a closed
// terminal) is gone, the lines are lost but every child is still stopped.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

/**
 * Stops every child, dashboard first, then exits. Every trigger (a signal,
 * the parent's death, a child's unexpected exit) joins the one stop in
 * progress: exiting part-way through it would orphan the children not yet
 * stopped (issue 19: a SIGTERM to npm's process group also kills npm's shell,
 * and that parent change used to end the supervisor mid-stop).
 */
function stopAll(exitCode: number): Promise<void> {
  stopping ??= (async () => {
    log("weft: stopping ...");
    // Last started first (the dashboard before the manager, so nothing calls the manager while it
    // shuts down). Looking again each time also stops a child the start-up sequence launches while this runs.
    const stopped = new Set<Child>();
    for (let child = children.findLast((c) => !stopped.has(c)); child; child = children.findLast((c) => !stopped.has(c))) {
      stopped.add(child);
      await child.stop();
    }
    await killLeftoverProxies();
    log("weft: stopped.");
    process.exit(exitCode);
  })();
  return stopping;
}

// A second ctrl-C (not the echo of the first: npm and the terminal can both deliver one) stops
// waiting for graceful shutdowns.
let firstSignalAt = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (!firstSignalAt) {
      firstSignalAt = Date.now();
      void stopAll(0);
      return;
    }
    if (Date.now() - firstSignalAt < 1_000) return;
    for (const child of children) {
      if (child.process.pid === undefined) continue;
      try {
        process.kill(-child.process.pid, "SIGKILL");
      } catch {
        // That group is already gone.
      }
    }
    void killLeftoverProxies().finally(() => {
      log("weft: stopped (forced).");
      process.exit(130);
    });
  });
}

// npm may exit without passing a signal on to the script; a changed parent means whoever
// started us is gone, and an orphaned platform would hold its ports and the state folder.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stopAll(0);
}, 500).unref();

try {
  const { apiUrl, webUrl, demo } = await startPlatform({
    root,
    settings: env,
    env: process.env,
    log,
    onStart: (child) => void children.push(child),
    onUnexpectedExit: (child, code) => {
      if (stopping) return;
      console.error(`weft: ${child.name} exited unexpectedly (${code}); stopping the platform.`);
      void stopAll(1);
    },
  });
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
