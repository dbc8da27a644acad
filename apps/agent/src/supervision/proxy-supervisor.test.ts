// The supervisor with real processes: a stand-in for weft-proxy (a few lines
// of Node that read the config file, answer GET /config on the admin
// listener, log to stderr and drain on SIGTERM), so that what is tested is
// the processes' lifetime — outliving an agent that crashed, adoption by the
// next one, an orderly stop leaving nothing — not the proxy.
import { readdir, readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryLogger } from "../logger.ts";
import { alive, freePort } from "../../test/free-port.ts";
import { waitFor } from "../../test/wait-for.ts";
import { procProbe, readProcessRecord, recordFileFor, writeProcessRecord } from "./proxy-process.ts";
import { ProxySupervisor, type ProxyStatus, type SupervisorOptions } from "./proxy-supervisor.ts";

const STAND_IN = `
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
const args = process.argv.slice(2);
const text = readFileSync(args[args.indexOf("--config") + 1], "utf8");
const config = JSON.parse(text.slice(text.indexOf("\\n") + 1));
const admin = config.listeners.find((l) => l.kind === "admin");
const server = createServer((req, res) => {
  console.error(JSON.stringify({ msg: "admin request", path: req.url }));
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ version: config.version }));
});
server.listen(admin.port, "127.0.0.1", () => console.error(JSON.stringify({ msg: "listening", port: admin.port })));
process.on("SIGTERM", () => { console.error(JSON.stringify({ msg: "draining" })); server.close(); process.exit(0); });
`;

describe("ProxySupervisor: proxies outlive a crashed agent and the next one adopts them", () => {
  let dir: string;
  let proxyBin: string;
  let supervisors: ProxySupervisor[] = [];
  const configDir = () => join(dir, "proxies");

  /** Processes running the stand-in on a config in this test's folder: what a user would count with ps. */
  const proxyProcesses = async (): Promise<number[]> => {
    const pids: number[] = [];
    for (const name of await readdir("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      const args = await procProbe.commandLine(Number(name));
      if (args?.includes(proxyBin) && (await procProbe.startTime(Number(name))) !== undefined) pids.push(Number(name));
    }
    return pids.sort((a, b) => a - b);
  };
  const config = (version: string, adminPort: number) => ({ version, listeners: [{ kind: "admin", name: "admin", port: adminPort }] }) as unknown as ProxyConfigInput;
  const supervisor = (logger = new MemoryLogger(), more: Partial<SupervisorOptions> = {}) => {
    const s = new ProxySupervisor({ configDir: configDir(), proxyBin, logger, backoff: { initialMs: 50, maxMs: 200 }, drainMs: 500, ...more });
    supervisors.push(s);
    return s;
  };
  const running = (s: ProxySupervisor, id: string) =>
    waitFor(async () => {
      const p = s.status().find((q) => q.id === id);
      return p?.state === "running" && p.pid !== undefined && (await readProcessRecord(p.configFile))?.pid === p.pid && p;
    }, `${id} to run and be recorded`, 15_000);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-supervisor-"));
    proxyBin = join(dir, "stand-in-proxy.mjs");
    await writeFile(proxyBin, STAND_IN);
  });
  afterEach(async () => {
    for (const s of supervisors) await s.stop();
    supervisors = [];
    for (const pid of await proxyProcesses()) process.kill(pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("adopts the running proxy (same process, no duplicate), relays its log lines, pushes rather than restarts, and restarts it if it dies", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const first = supervisor();
    await first.sync(new Map([["shop/web-1", config("v1", port)]]));
    const started: ProxyStatus = await running(first, "shop/web-1");
    // A crash of the agent: nothing stops the proxy.
    await first.abandon();
    expect(alive(started.pid!)).toBe(true);

    const logger = new MemoryLogger();
    const second = supervisor(logger);
    await second.sync(new Map([["shop/web-1", config("v2", port)]]));
    const adopted = second.status().find((p) => p.id === "shop/web-1")!;
    expect(adopted).toMatchObject({ pid: started.pid, state: "running", restarts: 0, startedAt: started.startedAt });
    expect(adopted.adoptedAt).toBeDefined();
    expect(second.takeAdopted("shop/web-1")).toBe(true);
    expect(await proxyProcesses()).toEqual([started.pid]);
    // Not rewritten on adoption: the file holds what the proxy accepted (the applier pushes v2, then persists it).
    expect(await readFile(started.configFile, "utf8")).toContain('"version": "v1"');

    // Its output goes to a file the new agent tails: a request to its admin listener shows up in the kept lines.
    await fetch(`http://127.0.0.1:${port}/config`);
    await waitFor(() => second.status()[0]!.recentLogs.some((l) => l.includes("admin request")), "the adopted proxy's log line", 10_000);
    expect(logger.entries.some((e) => e.msg === "proxy log" && String(e.fields.line).includes("admin request"))).toBe(true);

    // Not our child, so no SIGCHLD: its death is noticed by polling, and it is restarted.
    process.kill(started.pid!, "SIGKILL");
    const restarted = await waitFor(async () => {
      const p = second.status()[0]!;
      return p.restarts === 1 && p.state === "running" && p.pid !== started.pid && (await readProcessRecord(p.configFile))?.pid === p.pid && p;
    }, "the adopted proxy's restart", 15_000);
    expect(await proxyProcesses()).toEqual([restarted.pid]);

    // An orderly stop stops it and leaves no record behind.
    await second.stop();
    expect(alive(restarted.pid!)).toBe(false);
    expect(await proxyProcesses()).toEqual([]);
    expect(await readProcessRecord(restarted.configFile)).toBeUndefined();
  });

  it("an orderly stop leaves no proxy process behind", { timeout: 30_000 }, async () => {
    const s = supervisor();
    await s.sync(new Map([["shop/web-1", config("v1", await freePort())], ["shop/api-1", config("v1", await freePort())]]));
    await running(s, "shop/web-1");
    await running(s, "shop/api-1");
    expect(await proxyProcesses()).toHaveLength(2);
    await s.stop();
    expect(await proxyProcesses()).toEqual([]);
    expect((await readdir(configDir())).filter((n) => n.endsWith(".process.json"))).toEqual([]);
  });

  it("stops a previous agent's proxy for an instance no longer declared, and replaces one whose admin port changed", { timeout: 60_000 }, async () => {
    const [webPort, apiPort, newApiPort] = [await freePort(), await freePort(), await freePort()];
    const first = supervisor();
    await first.sync(new Map([["shop/web-1", config("v1", webPort)], ["shop/api-1", config("v1", apiPort)], ["shop/old-1", config("v1", await freePort())]]));
    const [web, api, old] = [await running(first, "shop/web-1"), await running(first, "shop/api-1"), await running(first, "shop/old-1")];
    await first.abandon();

    const second = supervisor();
    await second.sync(new Map([["shop/web-1", config("v1", webPort)], ["shop/api-1", config("v2", newApiPort)]]));
    const [web2, api2] = [await running(second, "shop/web-1"), await running(second, "shop/api-1")];
    expect(web2.pid).toBe(web.pid);
    expect(api2.pid).not.toBe(api.pid);
    expect(alive(old.pid!)).toBe(false);
    expect(alive(api.pid!)).toBe(false);
    expect(await proxyProcesses()).toEqual([web.pid!, api2.pid!].sort((a, b) => a - b));
    expect(await readProcessRecord(old.configFile)).toBeUndefined();
  });

  it("adopts a proxy whose record was never written (its agent died right after starting it) rather than starting a second one", { timeout: 30_000 }, async () => {
    const port = await freePort();
    const first = supervisor();
    await first.sync(new Map([["shop/web-1", config("v1", port)]]));
    const started = await running(first, "shop/web-1");
    await first.abandon();
    await rm(recordFileFor(started.configFile));

    const second = supervisor();
    await second.sync(new Map([["shop/web-1", config("v1", port)]]));
    expect(second.status()[0]).toMatchObject({ pid: started.pid, state: "running", restarts: 0 });
    expect(await proxyProcesses()).toEqual([started.pid]);
  });

  it("starts a new proxy, and signals nothing, when the recorded pid now belongs to another program", { timeout: 30_000 }, async () => {
    const port = await freePort();
    const first = supervisor();
    await first.sync(new Map([["shop/web-1", config("v1", port)]]));
    const started = await running(first, "shop/web-1");
    await first.abandon();
    const record = (await readProcessRecord(started.configFile))!;
    process.kill(started.pid!, "SIGKILL");
    await waitFor(async () => (await procProbe.startTime(started.pid!)) === undefined, "the proxy to be gone", 10_000);
    // The pid taken by this test's own process: alive, but not a proxy.
    await writeProcessRecord({ ...record, pid: process.pid, procStartTime: (await procProbe.startTime(process.pid))! });

    const logger = new MemoryLogger();
    const second = supervisor(logger);
    await second.sync(new Map([["shop/web-1", config("v1", port)]]));
    const fresh = await running(second, "shop/web-1");
    expect(fresh.pid).not.toBe(process.pid);
    expect(fresh.adoptedAt).toBeUndefined();
    expect(logger.entries).toContainEqual(expect.objectContaining({ msg: "proxy not adopted", fields: expect.objectContaining({ reason: "foreign process" }) }));
    expect(await proxyProcesses()).toEqual([fresh.pid]);
    expect(recordFileFor(fresh.configFile)).toMatch(/shop--web-1\.process\.json$/);
  });
  it("a proxy is ready once its admin /ready answers, not ready the moment it is killed, and ready again once restarted", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const changes: string[] = [];
    const s = supervisor(new MemoryLogger(), { onReadyChange: (id, ready) => changes.push(`${id} ${ready}`) });
    expect(s.isReady("shop/web-1")).toBe(false);
    await s.sync(new Map([["shop/web-1", config("v1", port)]]));
    const started = await running(s, "shop/web-1");
    await waitFor(() => s.isReady("shop/web-1"), "the proxy to be ready", 15_000);
    expect(changes).toEqual(["shop/web-1 true"]);

    process.kill(started.pid!, "SIGKILL");
    // Noticed with the exit (SIGCHLD), before any restart: never ready while nothing listens.
    await waitFor(() => changes.length === 2, "the proxy's death to be noticed", 15_000);
    expect(changes[1]).toBe("shop/web-1 false");
    await waitFor(() => s.isReady("shop/web-1"), "the restarted proxy to be ready", 15_000);
    const restarted = s.status().find((p) => p.id === "shop/web-1")!;
    expect(restarted).toMatchObject({ restarts: 1, ready: true });
    expect(restarted.pid).not.toBe(started.pid);
    expect(changes).toEqual(["shop/web-1 true", "shop/web-1 false", "shop/web-1 true"]);

    await s.stop();
    expect(s.isReady("shop/web-1")).toBe(false);
    expect(changes.at(-1)).toBe("shop/web-1 false");
  });

  it("a ready proxy stays ready through a probe or two that fail, turns not ready after three in a row, and ready again when it answers", { timeout: 60_000 }, async () => {
    // What the proxy's /ready answers, probe after probe; then 200 for good.
    const script = [false, true, false, false, true, false, false, false, false, true];
    const changes: boolean[] = [];
    const s = supervisor(new MemoryLogger(), {
      readinessProbe: async () => script.shift() ?? true,
      readyProbeMs: { starting: 20, ready: 20 },
      onReadyChange: (_id, ready) => changes.push(ready),
    });
    await s.sync(new Map([["shop/web-1", config("v1", await freePort())]]));
    await waitFor(() => script.length === 0 && s.isReady("shop/web-1"), "every scripted probe", 15_000);
    // Not ready until the first 200; two failures in a row change nothing; the third of four does.
    expect(changes).toEqual([true, false, true]);
  });

  it("a proxy adopted ahead of any config (adoptRunning) is known ready when the adoption returns, and is then pushed rather than started", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const first = supervisor();
    await first.sync(new Map([["shop/web-1", config("v1", port)]]));
    const started = await running(first, "shop/web-1");
    await waitFor(() => first.isReady("shop/web-1"), "the proxy to be ready", 15_000);
    await first.abandon();

    const second = supervisor();
    await second.adoptRunning(new Map([["shop/web-1", { address: "127.0.0.1", port }]]));
    expect(second.isReady("shop/web-1")).toBe(true);
    expect(second.has("shop/web-1")).toBe(true);
    // Not reported as adopted to the applier: it pushes the config, as to any running proxy.
    await second.sync(new Map([["shop/web-1", undefined]]));
    expect(second.takeAdopted("shop/web-1")).toBe(false);
    expect(await proxyProcesses()).toEqual([started.pid]);
  });
});
