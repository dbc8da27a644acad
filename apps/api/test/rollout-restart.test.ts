// A manager killed (SIGKILL) in the middle of a rollout and started again on
// the same database resumes the run from its stored step: every step is
// applied exactly once (one step row, one route revision each, in order),
// none is skipped, and the run finishes. The manager is a separate process
// (bin/weft-manager.js); telemetry and discovery arrive through the agent
// API as an agent would send them, with the real clock.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, type ApiClient } from "../src/testing.ts";
import { discoverySnapshot } from "./agent-support.ts";
import { freePort, waitFor } from "./mesh-processes.ts";

const MANAGER_BIN = join(import.meta.dirname, "../bin/weft-manager.js");
const STEPS = [20, 40, 60, 80, 100];
const ROLLOUT = `apiVersion: weft.io/v1alpha1
kind: Rollout
metadata: { name: checkout, namespace: shop }
spec:
  service: { name: checkout }
  stable: { version: v1 }
  canary: { version: v2 }
  strategy: { canary: { steps: [${STEPS.map((w) => `{ setWeight: ${w} }`).join(", ")}] } }
  analysis: { interval: 1s, threshold: 3, minRequests: 5 }
`;

describe("a manager killed mid-rollout", { timeout: 180_000 }, () => {
  let home: string;
  let port: number;
  let database: TestDatabase | null = null;
  let manager: { child: ChildProcess; output: () => string } | null = null;
  let pumping = true;
  let pump: Promise<void> = Promise.resolve();

  const start = async () => {
    const child = spawn(process.execPath, [MANAGER_BIN], {
      env: { ...process.env, WEFT_LOG_LEVEL: "warn", ...(database ? { DATABASE_URL: database.url } : {}), WEFT_HOME: home, WEFT_API_HOST: "127.0.0.1", WEFT_API_PORT: String(port), WEFT_ROLLOUT_TICK: "250ms" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    for (const s of [child.stdout, child.stderr]) s?.setEncoding("utf8").on("data", (c: string) => (output = (output + c).slice(-20_000)));
    await waitFor("the manager to answer /healthz", async () => {
      if (child.exitCode !== null) throw new Error(`manager exited: ${output}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    }, 90_000);
    manager = { child, output: () => output };
  };
  const kill = async () => {
    const child = manager?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "weft-rollout-restart-"));
    port = await freePort();
    // A PostgreSQL server when there is one (CI); otherwise the manager's embedded database in its home.
    if (process.env.DATABASE_URL) database = await createTestDatabase();
    await start();
  });
  afterAll(async () => {
    pumping = false;
    await pump;
    await kill();
    await database?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it("resumes from the stored step: every step applied once, none skipped", async () => {
    const url = `http://127.0.0.1:${port}`;
    const password = (await readFile(join(home, "initial-admin-password"), "utf8")).trim();
    const admin: ApiClient = (await sessionClient(url, "admin", password)).client;
    const east = await joinedAgent(admin, url, "east");
    await east.client.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "checkout", versions: ["v1", "v2"] }]));
    // Healthy traffic to both versions, as east's agent reports it, every 200 ms (through the restart: failed reports are dropped).
    pump = (async () => {
      while (pumping) {
        const edge = (version: string) => {
          const sketch = new LatencySketch();
          for (let i = 0; i < 10; i++) sketch.add(5 + i);
          return { minute: Math.floor(Date.now() / 60_000) * 60_000, source: { cluster: "east", namespace: "shop", service: "frontend", version: "v1" }, destination: { cluster: "east", namespace: "shop", service: "checkout", version }, codeClass: "2xx" as const, requests: 10, errors: 0, latency: sketch.toJSON() };
        };
        await east.client.agent.reportTelemetry.mutate({ edges: [edge("v1"), edge("v2")] }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const started = await admin.rollouts.start.mutate({ text: ROLLOUT });
    const id = started.run!.id;
    // Killed in the middle: at the third of five steps.
    const before = await waitFor("the run at its third step", async () => {
      const d = await admin.rollouts.get.query({ id });
      return d.run.step >= 2 ? d : undefined;
    }, 60_000);
    await kill();
    expect(before.run.phase).not.toBe("Succeeded");
    await start();
    const admin2: ApiClient = (await sessionClient(url, "admin", password)).client;
    const after = await waitFor("the run to finish after the restart", async () => {
      const d = await admin2.rollouts.get.query({ id });
      return d.run.phase === "Succeeded" || d.run.phase === "RolledBack" ? d : undefined;
    }, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${manager?.output()}`);
    });
    expect(after.run.phase).toBe("Succeeded");
    // One step row per step, in order, each applied by its own route revision.
    expect(after.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
    const revisions = after.steps.map((s) => s.routeRevision);
    expect(revisions.every((r) => r !== null)).toBe(true);
    expect([...revisions].sort((a, b) => (a as number) - (b as number))).toEqual(revisions);
    expect(new Set(revisions).size).toBe(STEPS.length);
    // The steps entered before the kill are exactly the first ones after it (the one in progress completed later).
    const entered = (steps: typeof before.steps) => steps.map(({ completedAt: _c, ...s }) => s);
    expect(entered(after.steps.slice(0, before.steps.length))).toEqual(entered(before.steps));
    // The route's history: each step's weight written once by the controller, then the clean form.
    const history = (await admin2.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).filter((r) => r.authorName === "rollout controller").reverse();
    const weights = history.map((r) => {
      const refs = (r.document as { spec: { rules: { backendRefs: { version?: string; weight: number }[] }[] } }).spec.rules[0]!.backendRefs;
      return refs.find((b) => b.version === "v2")?.weight ?? 0;
    });
    expect(weights).toEqual([...STEPS, 100]);
  });
});
