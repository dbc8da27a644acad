import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { decideAdoption, killProxiesOf, procProbe, type ProcessProbe, type ProxyProcessRecord } from "./proxy-process.ts";

const record: ProxyProcessRecord = {
  id: "shop/web-1",
  pid: 4242,
  procStartTime: "123456",
  adminAddress: "127.0.0.1",
  adminPort: 15001,
  startedAt: "2026-12-06T22:00:00.000Z",
  proxyBin: "/opt/weft/weft-proxy.js",
  configFile: "/var/lib/weft/proxies/shop--web-1.yaml",
};
const expected = { adminPort: 15001, proxyBin: record.proxyBin, configFile: record.configFile };

/** A hand-written probe: the process table and admin listeners as a test describes them. */
function fakeProbe(processes: Record<number, { startTime: string; args: string[]; listens?: number[]; answers?: boolean }>): ProcessProbe {
  return {
    startTime: async (pid) => processes[pid]?.startTime,
    commandLine: async (pid) => processes[pid]?.args,
    listensOn: async (pid, port) => processes[pid]?.listens?.includes(port) ?? false,
    adminAnswers: async (_address, port) => Object.values(processes).some((p) => p.listens?.includes(port) && p.answers !== false),
    pids: async () => Object.keys(processes).map(Number),
  };
}
const proxyArgs = ["/usr/bin/node", record.proxyBin, "--config", record.configFile, "--drain-ms", "2000"];

describe("decideAdoption", () => {
  it("adopts the recorded proxy: same pid, same start time, its command line, its admin listener answering", async () => {
    const probe = fakeProbe({ 4242: { startTime: "123456", args: proxyArgs, listens: [15001] } });
    expect(await decideAdoption(record, expected, probe)).toEqual({ action: "adopt" });
  });

  it("starts a new proxy when there is no record or the recorded one exited", async () => {
    expect(await decideAdoption(undefined, expected, fakeProbe({}))).toEqual({ action: "start", reason: "no record" });
    expect(await decideAdoption(record, expected, fakeProbe({}))).toEqual({ action: "start", reason: "exited" });
  });

  it("does not adopt (nor stop) a process that reuses the pid: another start time", async () => {
    const probe = fakeProbe({ 4242: { startTime: "999999", args: proxyArgs, listens: [15001] } });
    expect(await decideAdoption(record, expected, probe)).toEqual({ action: "start", reason: "pid reused" });
  });

  it("does not adopt a foreign process: another program, another proxy's config, or a record for another binary", async () => {
    const other = fakeProbe({ 4242: { startTime: "123456", args: ["/usr/sbin/sshd", "-D"], listens: [15001] } });
    expect(await decideAdoption(record, expected, other)).toEqual({ action: "start", reason: "foreign process" });
    const otherConfig = fakeProbe({ 4242: { startTime: "123456", args: [...proxyArgs.slice(0, 3), "/var/lib/weft/proxies/shop--db-1.yaml"], listens: [15001] } });
    expect(await decideAdoption(record, expected, otherConfig)).toEqual({ action: "start", reason: "foreign process" });
    const ours = fakeProbe({ 4242: { startTime: "123456", args: proxyArgs, listens: [15001] } });
    expect(await decideAdoption(record, { ...expected, proxyBin: "/opt/weft-2/weft-proxy.js" }, ours)).toEqual({ action: "start", reason: "foreign process" });
  });

  it("replaces our proxy when its admin listener is not its own, does not answer, or the instance's admin port changed", async () => {
    const someoneElse = fakeProbe({ 4242: { startTime: "123456", args: proxyArgs }, 77: { startTime: "1", args: ["nc"], listens: [15001] } });
    expect(await decideAdoption(record, expected, someoneElse)).toEqual({ action: "replace", reason: "admin listener not held by the process" });
    const hung = fakeProbe({ 4242: { startTime: "123456", args: proxyArgs, listens: [15001], answers: false } });
    expect(await decideAdoption(record, expected, hung)).toEqual({ action: "replace", reason: "admin API not answering" });
    const healthy = fakeProbe({ 4242: { startTime: "123456", args: proxyArgs, listens: [15001] } });
    expect(await decideAdoption(record, { ...expected, adminPort: 15002 }, healthy)).toEqual({ action: "replace", reason: "admin port changed" });
  });
});

describe("procProbe (Linux /proc)", () => {
  it("reads a live process's start time and command line, finds the socket it listens on, and sees it gone once it exits", async () => {
    const child = spawn(process.execPath, ["-e", "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', function () { console.log(this.address().port) })"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
    const port = Number(chunk.toString().trim());
    const pid = child.pid!;
    const startTime = await procProbe.startTime(pid);
    expect(startTime).toMatch(/^\d+$/);
    expect(await procProbe.startTime(pid)).toBe(startTime);
    expect(await procProbe.startTime(process.pid)).not.toBe(startTime);
    expect((await procProbe.commandLine(pid))?.slice(1, 2)).toEqual(["-e"]);
    expect(await procProbe.listensOn(pid, port)).toBe(true);
    expect(await procProbe.listensOn(process.pid, port)).toBe(false);
    // Not a weft-proxy admin API: it answers, but not with a config.
    expect(await procProbe.adminAnswers("127.0.0.1", port)).toBe(false);
    child.kill("SIGKILL");
    await once(child, "exit");
    expect(await procProbe.startTime(pid)).toBeUndefined();
    expect(await procProbe.commandLine(pid)).toBeUndefined();
  });
});

describe("killProxiesOf (what npm start uses once its agents are gone)", () => {
  it("kills the processes running a config from the agent's proxies/ or gateway/ folder, recorded or not, and nothing else", async () => {
    const stateDir = "/tmp/weft-kill-test/east/agent";
    const start = (config: string) => spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "--", "--config", config], { stdio: "ignore" });
    const sidecar = start(`${stateDir}/proxies/shop--web-1.yaml`);
    const gateway = start(`${stateDir}/gateway/east-west-gateway.yaml`);
    // Another agent's proxy, and a folder whose name merely begins like ours.
    const other = start("/tmp/weft-kill-test/west/agent/proxies/shop--web-1.yaml");
    const lookalike = start(`${stateDir}/proxies-old/shop--web-1.yaml`);
    try {
      await Promise.all([sidecar, gateway, other, lookalike].map((c) => once(c, "spawn")));
      const exits = [once(sidecar, "exit"), once(gateway, "exit")];
      expect(await killProxiesOf(stateDir)).toBe(2);
      expect((await Promise.all(exits)).map(([, signal]) => signal)).toEqual(["SIGKILL", "SIGKILL"]);
      expect(other.exitCode === null && other.signalCode === null).toBe(true);
      expect(lookalike.exitCode === null && lookalike.signalCode === null).toBe(true);
    } finally {
      for (const c of [sidecar, gateway, other, lookalike]) c.kill("SIGKILL");
    }
  });
});
