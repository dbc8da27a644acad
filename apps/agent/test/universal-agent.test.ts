// The agent in universal mode with real weft-proxy processes: discovery from
// the file, supervision (restart after a kill, config changes pushed to the
// running proxy), GET /status, and a clean stop.
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../src/agent.ts";
import { MemoryLogger } from "../src/logger.ts";
import type { ProxyStatus } from "../src/supervision/proxy-supervisor.ts";
import { InMemoryReporter } from "../src/manager-link/in-memory-manager.ts";
import { alive, freePort } from "./free-port.ts";
import { startApp, universalAgentConfig, type App } from "./mesh-harness.ts";
import { waitFor } from "./wait-for.ts";

interface Reply {
  status: number;
  body: string;
}
function get(port: number, path: string, host = "127.0.0.1"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
const json = async <T>(port: number, path: string) => JSON.parse((await get(port, path)).body) as T;

interface Status {
  discovery: { synced: boolean; services: number; endpoints: number };
  manager: { discoveryReported: boolean };
  proxies: ProxyStatus[];
}

const app = (name: string) => startApp((req) => `${name} ${req.url}`);

describe("universal mode: discovery and proxy supervision", () => {
  let dir: string;
  let file: string;
  let apps: App[];
  let proxy: { inboundPort: number; outboundPort: number; adminPort: number };
  let agent: RunningAgent | undefined;

  const universal = (extra = "") => `
services:
  - name: reviews
    instances:
      - name: reviews-1
        address: 127.0.0.1
        port: ${apps[0]!.port}
        version: v1
        serviceAccount: reviews
        proxy: { inboundPort: ${proxy.inboundPort}, outboundPort: ${proxy.outboundPort}, adminPort: ${proxy.adminPort} }
  - name: details
    instances:
      - { address: 127.0.0.1, port: ${apps[1]!.port}, version: v1 }
${extra}`;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-agent-universal-"));
    file = join(dir, "universal.yaml");
    apps = [await app("reviews"), await app("details"), await app("ratings")];
    proxy = { inboundPort: await freePort(), outboundPort: await freePort(), adminPort: await freePort() };
    await writeFile(file, universal());
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    for (const a of apps) a.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a proxy per local instance, restarts it after a kill, and follows config changes without a restart", { timeout: 30_000 }, async () => {
    const config = universalAgentConfig({ dir, file, cluster: "east" });
    const reporter = new InMemoryReporter();
    const logger = new MemoryLogger();
    agent = await startAgent(config, { logger, reporter, backoff: { initialMs: 100, maxMs: 400 }, fileDebounceMs: 30 });
    const port = agent.adminPort;

    // Discovery reached the reporter, and the status shows it.
    expect(reporter.catalog.services.map((s) => s.name), JSON.stringify(logger.entries)).toEqual(["details", "reviews"]);
    const first = await waitFor(async () => {
      const s = await json<Status>(port, "/status");
      return s.proxies[0]?.state === "running" && s;
    }, "the proxy to run", 30_000);
    expect(first.discovery).toMatchObject({ synced: true, services: 2, endpoints: 2 });
    expect(first.manager.discoveryReported).toBe(true);
    const started = first.proxies[0]!;
    expect(started).toMatchObject({ id: "default/reviews-1", restarts: 0, configFile: join(dir, "state", "proxies", "default--reviews-1.yaml") });
    await waitFor(async () => (await get(proxy.adminPort, "/ready").catch(() => ({ status: 0 }))).status === 200, "the proxy to be ready", 15_000);

    // The compiled config works: the app's outbound call reaches details, and inbound reaches the app.
    expect(await get(proxy.outboundPort, "/x", "details")).toEqual({ status: 200, body: "details /x" });
    expect(await get(proxy.inboundPort, "/y", "reviews")).toEqual({ status: 200, body: "reviews /y" });

    // Kill it: the agent restarts it with backoff and says so.
    process.kill(started.pid!, "SIGKILL");
    const restarted = await waitFor(async () => {
      const p = (await json<Status>(port, "/status")).proxies[0]!;
      return p.restarts === 1 && p.state === "running" && p;
    }, "the restart", 10_000);
    expect(restarted.pid).not.toBe(started.pid);
    expect(restarted.lastExit).toMatchObject({ code: null, signal: "SIGKILL" });
    await waitFor(async () => (await get(proxy.adminPort, "/ready").catch(() => ({ status: 0 }))).status === 200, "the restarted proxy to be ready", 15_000);

    // A new service in the file: a new config, pushed to the same process and written to its file.
    await writeFile(file, universal(`  - name: ratings\n    instances:\n      - { address: 127.0.0.1, port: ${apps[2]!.port} }\n`));
    // The change may take two versions: the agent can notice the restarted proxy ready (and mark its endpoint
    // healthy) just after it compiled the file's change. Wait for the proxy to run the last version the agent
    // wrote, with ratings in it.
    await waitFor(async () => {
      const written = (await json<Status>(port, "/status")).proxies[0]!.configVersion;
      const running = await json<{ version: string; config: { backends: { service: string }[] } }>(proxy.adminPort, "/config");
      return running.version === written && running.config.backends.some((b) => b.service === "ratings");
    }, "the proxy to run the config the agent wrote for ratings", 15_000);
    expect(await get(proxy.outboundPort, "/z", "ratings")).toEqual({ status: 200, body: "ratings /z" });
    expect((await json<Status>(port, "/status")).proxies[0]).toMatchObject({ pid: restarted.pid, restarts: 1 });
    // Discovery reaches the reporter on its own schedule (file watch, debounce): wait for it rather than race it.
    await waitFor(() => reporter.catalog.services.map((s) => s.name).join() === "details,ratings,reviews", "discovery to report ratings", 10_000);

    // Stop: the proxy goes with the agent.
    await agent.stop();
    agent = undefined;
    expect(alive(restarted.pid!)).toBe(false);
  });

  it.each([
    [["--manager", "http://127.0.0.1:1"], "no credentials in"],
    [["--manager", "http://weft.example.com:4000", "--join-token", "weftjoin_0123456789abcdef"], "refusing plain http to weft.example.com:4000"],
  ])("weft-agent %o refuses to start, saying why", { timeout: 30_000 }, async (args, message) => {
    const bin = join(import.meta.dirname, "../bin/weft-agent.js");
    const child = spawn(process.execPath, [bin, "--mode", "universal", "--universal-file", file, "--admin-port", "0", "--state-dir", join(dir, "state"), ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toContain(message);
  });
});
