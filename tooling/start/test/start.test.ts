import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { afterAll, describe, expect, it } from "vitest";
import type { DemoCluster } from "../src/demo/demo-topology.ts";
import { ManagerApi } from "../src/demo/manager-api.ts";
import { formatVerdicts, measureDemoEdges } from "../src/demo/measure-edges.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

const handedOut = new Set<number>();
/** A free loopback port, never one this file was given before (the kernel may hand a just-closed port out again). */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Processes whose environment names `home` as WEFT_HOME: npm start and everything it started, to any depth. */
async function processesUnder(home: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((name) => /^\d+$/.test(name))) {
    const environ = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
    if (!environ.split("\0").includes(`WEFT_HOME=${home}`)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    found.push(`${pid} ${cmdline.split("\0").join(" ").slice(0, 160)}`);
  }
  return found;
}

/** Waits up to 30 s for every process under `home` to end; returns those left. */
async function survivorsUnder(home: string): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left = await processesUnder(home);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `npm start` in a process group of its own, as a terminal runs it. */
function npmStart(settings: Record<string, string | undefined>) {
  const env: NodeJS.ProcessEnv = { ...process.env, WEFT_SKIP_BUILD: "1" };
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn("npm", ["start"], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const out = { text: "" };
  child.stdout.on("data", (chunk) => (out.text += String(chunk)));
  child.stderr.on("data", (chunk) => (out.text += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out, exited };
}

/** Polls until `check` returns something truthy, for up to 90 s. */
async function poll<T>(check: () => Promise<T | false>, what: string): Promise<T> {
  const deadline = Date.now() + 90_000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

describe("npm start", () => {
  let home: string | undefined;
  // With DATABASE_URL set, the platform gets a database of its own on that server, so its first admin is ours.
  let database: TestDatabase | undefined;
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
    await database?.drop();
  });

  it("runs the manager, the dashboard and the demo clusters, prints the URL, and stops everything on SIGTERM", { timeout: 600_000 }, async () => {
    home = await mkdtemp(join(tmpdir(), "weft-start-"));
    if (process.env.DATABASE_URL) database = await createTestDatabase();
    const [apiPort, webPort] = [await freePort(), await freePort()];
    // Away from the default demo ports, so a developer's running `npm start` does not collide.
    // Below Linux's ephemeral range (32768+), where the kernel hands out ports to other sockets at any time.
    const demoBase = 20_000 + Math.floor(Math.random() * 120) * 100;
    // The turbo task graph builds the dashboard before this test runs.
    const { child, out, exited } = npmStart({ ...(database ? { DATABASE_URL: database.url } : {}), WEFT_HOME: home, WEFT_API_PORT: String(apiPort), WEFT_WEB_PORT: String(webPort), WEFT_DEMO_PORT_BASE: String(demoBase), WEFT_DEMO_RPS: "10" });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (out.text.includes("Weft is running.")) {
            clearInterval(timer);
            resolve();
          }
          if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`npm start exited early:\n${out.text}`));
          }
        }, 200);
      });
      expect(out.text).toContain(`Dashboard:   http://127.0.0.1:${webPort}`);

      const page = await fetch(`http://127.0.0.1:${webPort}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Weft");
      // The dashboard forwards the API, so the browser needs one origin only.
      const health = await fetch(`http://127.0.0.1:${webPort}/healthz`);
      // Anonymous callers learn up or down only (the database's location is for signed-in users).
      expect(await health.json()).toEqual({ status: "ok" });

      // The demo: both clusters joined, discovered, in sync, and their traffic reaches the rollups.
      const api = await ManagerApi.asFirstAdmin(`http://127.0.0.1:${apiPort}`, home);
      interface ClusterRow {
        name: string;
        status: string;
        sync: { state: string };
        counts: { services: number };
      }
      const clusters = await poll(async () => {
        const list = await api.query<ClusterRow[]>("clusters.list");
        return list.length === 2 && list.every((c) => c.status === "CONNECTED" && c.sync.state === "in-sync" && c.counts.services > 0) && list;
      }, `both demo clusters in sync (output:\n${out.text.slice(-3000)})`);
      expect(clusters.map((c) => [c.name, c.counts.services]).sort()).toEqual([
        ["east", 4],
        ["west", 5],
      ]);
      interface EdgeRow {
        source: { service: string; cluster: string };
        destination: { service: string };
        requests: number;
        byClass: Record<string, number>;
      }
      const edges = await poll(async () => {
        const { edges } = await api.query<{ edges: EdgeRow[] }>("telemetry.edges", { from: new Date(Date.now() - 10 * 60_000), to: new Date(Date.now() + 60_000) });
        const seen = new Set(edges.map((e) => `${e.source.cluster}:${e.source.service}->${e.destination.service}`));
        return ["east:loadgen->frontend", "east:frontend->catalog", "east:catalog->inventory", "west:loadgen->frontend", "east:frontend->reviews", "west:catalog->inventory"].every((k) => seen.has(k)) && edges;
      }, "demo traffic in telemetry.edges (east's frontend reaching reviews: west's catalog has arrived)");
      expect(edges.every((e) => e.requests > 0)).toBe(true);
      // From the first request on, no edge fails everything it carried: the traffic generator waits until its
      // cluster's proxies see the services they call as ready, so start-up does not leave a red edge (a caller's
      // `503 no healthy upstream` shows as an edge to a destination in no cluster) on the first minutes' topology.
      const deadEdges = edges.filter((e) => (e.byClass["2xx"] ?? 0) === 0).map((e) => `${e.source.cluster}:${e.source.service} -> ${e.destination.service} ${JSON.stringify(e.byClass)}`);
      expect(deadEdges).toEqual([]);
      // Steady state, as the callers' proxies count it over a 30 s window once both clusters are in sync and
      // every edge carries traffic: every edge (summed over destination clusters and versions) answers at
      // least 99 %, except the failures the demo injects (catalog v2 3 %, west inventory 1 %), which must show
      // at their rate within max(1 point, 4 binomial standard deviations). inventory runs without a proxy:
      // callers reach it in plaintext in their own cluster (issue 12: it used to fail 100 % across clusters).
      const topology = JSON.parse(await readFile(join(home, "demo", "topology.json"), "utf8")) as DemoCluster[];
      // Local first: callers stay in their cluster when it has healthy instances; reviews (west only) is the cross-cluster edge.
      // A caller whose local instances' proxies were not up yet when it started calling fails over to the other cluster
      // (outlier ejection) and fails back once the ejection ends: the window that counts is the first one after that,
      // measured again until it comes (at most 4 minutes), so a caller that never comes back still fails the test.
      const LOCAL = { "east:catalog -> inventory": "east", "west:catalog -> inventory": "west", "east:frontend -> catalog": "east", "east:frontend -> reviews": "west" } as const;
      let measured = await measureDemoEdges(topology, 30_000);
      const servedFromIn = (m: typeof measured, edge: string) => new Set(m.windows.find((w) => w.edge === edge)?.destinations.map((d) => d.cluster));
      const settled = (m: typeof measured) => Object.entries(LOCAL).every(([edge, cluster]) => [...servedFromIn(m, edge)].join() === cluster);
      for (const deadline = Date.now() + 240_000; !settled(measured) && Date.now() < deadline; ) measured = await measureDemoEdges(topology, 30_000);
      const { windows, verdicts } = measured;
      const table = formatVerdicts(verdicts, windows);
      expect(verdicts.filter((v) => !v.ok), table).toEqual([]);
      const servedFrom = (edge: string) => servedFromIn(measured, edge);
      expect(servedFrom("east:catalog -> inventory"), table).toEqual(new Set(["east"]));
      expect(servedFrom("west:catalog -> inventory"), table).toEqual(new Set(["west"]));
      expect(servedFrom("east:frontend -> catalog"), table).toEqual(new Set(["east"]));
      expect(servedFrom("east:frontend -> reviews"), table).toEqual(new Set(["west"]));
      // The dashboard's Clusters page has nothing to report: no compiler warning or error in either cluster once
      // both run the mesh's current config (the demo exports its meshed services after discovery, a config push).
      interface DiagnosticsView {
        sources: { cluster: string; current: boolean }[];
        diagnostics: { cluster: string; severity: string; code: string; message: string }[];
      }
      let findings: DiagnosticsView | undefined;
      await poll(async () => {
        findings = await api.query<DiagnosticsView>("diagnostics.list", { severity: "warning" });
        return findings.sources.length === 2 && findings.sources.every((s) => s.current) && findings.diagnostics.length === 0;
      }, "no compiler warnings in the demo").catch((err: unknown) => {
        throw new Error(`${String(err)}; last seen: ${JSON.stringify(findings?.diagnostics.map((d) => `${d.cluster} ${d.severity} ${d.code}: ${d.message}`))} (sources ${JSON.stringify(findings?.sources)})`);
      });
    } finally {
      // What a terminal's ctrl-C or `kill -TERM -<pgid>` does: the signal reaches npm, its shell and the supervisor at once.
      // (When npm start has already exited, the group is gone: the test's own failure is what should show, not ESRCH.)
      if (child.exitCode === null) process.kill(-child.pid!, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    }
    // Everything npm start ran is gone: manager, dashboard, demo application, both agents and all their proxies.
    expect(await survivorsUnder(home)).toEqual([]);
    expect(out.text).toContain("weft: stopped.");
    expect(await isListening(apiPort)).toBe(false);
    expect(await isListening(webPort)).toBe(false);
    // The manager shut down cleanly: it released the state folder's lock.
    if (!process.env.DATABASE_URL) expect(existsSync(join(home, "manager.lock"))).toBe(false);
  });

  it("leaves nothing behind when the supervisor itself is SIGKILLed (its children's lifelines)", { timeout: 120_000 }, async () => {
    const killed = await mkdtemp(join(tmpdir(), "weft-start-"));
    try {
      const [apiPort, webPort] = [await freePort(), await freePort()];
      const env: NodeJS.ProcessEnv = { ...process.env, WEFT_SKIP_BUILD: "1", WEFT_HOME: killed, WEFT_API_PORT: String(apiPort), WEFT_WEB_PORT: String(webPort), WEFT_DEMO: "0" };
      delete env.DATABASE_URL;
      const supervisor = spawn(process.execPath, ["--import", "tsx", "tooling/start/src/main.ts"], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      supervisor.stdout.on("data", (chunk) => (output += String(chunk)));
      // Once the manager answers: a child that is up and holds a port and the state folder's lock.
      await poll(async () => output.includes("[manager]") && (await isListening(apiPort)), "the manager to listen");
      supervisor.kill("SIGKILL");
      expect(await survivorsUnder(killed)).toEqual([]);
      expect(await isListening(apiPort)).toBe(false);
    } finally {
      await rm(killed, { recursive: true, force: true });
    }
  });

  it("stops the proxies of a demo agent that was SIGKILLed (proxies outlive a crashed agent, but not the platform)", { timeout: 240_000 }, async () => {
    const crashed = await mkdtemp(join(tmpdir(), "weft-start-"));
    let platform: ReturnType<typeof npmStart> | undefined;
    try {
      const [apiPort, webPort] = [await freePort(), await freePort()];
      const demoBase = 20_000 + Math.floor(Math.random() * 120) * 100;
      platform = npmStart({ DATABASE_URL: undefined, WEFT_HOME: crashed, WEFT_API_PORT: String(apiPort), WEFT_WEB_PORT: String(webPort), WEFT_DEMO_PORT_BASE: String(demoBase), WEFT_DEMO_RPS: "2" });
      const { child, out, exited } = platform;
      // East's agent runs its proxies (each has a process record in the agent's state folder).
      const records = join(crashed, "demo", "east", "agent", "proxies");
      await poll(async () => child.exitCode === null && (await readdir(records).catch(() => [])).some((f) => f.endsWith(".process.json")), `east's proxies to start:\n${out.text}`);
      // The east agent, by its whole command line (processesUnder's lines are cut short for messages).
      const agentPid = await poll(async () => {
        for (const line of await processesUnder(crashed)) {
          const pid = Number(line.split(" ")[0]);
          const args = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
          if (args.some((a) => a.endsWith("weft-agent.js")) && args[args.indexOf("--cluster") + 1] === "east") return pid;
        }
        return false;
      }, "east's agent process");
      // A crash: the agent's proxies stay up (to be adopted by its next run); the supervisor stops the platform
      // because a child died, and must stop those proxies too.
      process.kill(agentPid, "SIGKILL");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
      expect(await survivorsUnder(crashed), out.text).toEqual([]);
      expect(out.text).toMatch(/stopped \d+ proxy process(es)? the east agent left running/);
      expect(await isListening(apiPort)).toBe(false);
    } finally {
      // A failed assertion above must not leave a platform running on the machine.
      if (platform && platform.child.exitCode === null) {
        process.kill(-platform.child.pid!, "SIGTERM");
        await Promise.race([platform.exited, new Promise((r) => setTimeout(r, 60_000))]);
      }
      for (const line of await processesUnder(crashed)) {
        try {
          process.kill(Number(line.split(" ")[0]), "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      await rm(crashed, { recursive: true, force: true });
    }
  });

  it("stops everything when npm alone is sent SIGTERM during start-up", { timeout: 120_000 }, async () => {
    const early = await mkdtemp(join(tmpdir(), "weft-start-"));
    try {
      const [apiPort, webPort] = [await freePort(), await freePort()];
      const { child, out, exited } = npmStart({ DATABASE_URL: undefined, WEFT_HOME: early, WEFT_API_PORT: String(apiPort), WEFT_WEB_PORT: String(webPort), WEFT_DEMO: "0" });
      // The manager is starting (or up) and the dashboard not yet: stopped part-way through start-up.
      await poll(async () => out.text.includes("[manager]") || child.exitCode !== null, "the manager's first output");
      // npm exits without passing the signal on; the supervisor notices its parent is gone.
      child.kill("SIGTERM");
      await exited;
      expect(await survivorsUnder(early)).toEqual([]);
      expect(out.text).not.toContain("Weft is running.");
      expect(await isListening(apiPort)).toBe(false);
    } finally {
      await rm(early, { recursive: true, force: true });
    }
  });
});
