// The benchmarks' process plumbing: start and stop the proxies under test,
// find free ports, wait for a listener, and read a process's CPU time and
// memory from /proc (figures of the process itself, not of the machine).
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The bundled proxy (`npm run build -w @weft/proxy`), as it ships: no TypeScript loader in the process. */
export const proxyBin = resolve(here, "../../packages/proxy/dist/weft-proxy.mjs");
const CLK_TCK = 100; // USER_HZ on Linux

const children: ChildProcess[] = [];
export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.push(child);
  child.stdout?.on("data", () => undefined);
  child.stderr?.on("data", () => undefined);
  return child;
}
export function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}
/** Kills whatever is still running (the end of a benchmark, or its failure). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}
process.on("exit", killAll);

/** Runs a command to completion; its stdout and stderr together. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolveRun(out) : reject(new Error(`${cmd} exited ${code}: ${out.slice(-500)}`))));
  });
}

export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

export function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

/** utime + stime of the processes, in seconds. */
export async function procCpuSeconds(pids: readonly number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }
  return total;
}
/**
 * VmRSS (resident now), VmHWM (peak resident), RssAnon (the process's own
 * pages: heap, stacks) or RssFile (mapped files, mostly the executable's code,
 * shared with every process running the same binary) of the processes, summed, in MB.
 */
export async function procMemMb(pids: readonly number[], field: "VmRSS" | "VmHWM" | "RssAnon" | "RssFile"): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    total += Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  }
  return total;
}

/**
 * Fields of /proc/<pid>/smaps_rollup, summed over the processes, in MB. Pss
 * (proportional set size) charges each shared page to the processes mapping
 * it in equal parts: N sidecars running the same node binary on one host each
 * pay 1/N of its resident code, so PSS is what one more proxy adds there.
 */
export async function procRollupMb(pids: readonly number[], field: "Pss" | "Pss_Anon" | "Pss_File" | "Rss"): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, "utf8");
    total += Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(rollup)?.[1] ?? NaN) / 1024;
  }
  return total;
}

/** Writes the config as JSON and starts the bundled proxy (or another build, `bin`; another node executable, `node`) on it; resolves once every port listens and a second has passed. */
export async function startWeft(work: string, name: string, config: object, ports: number[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = [], bin = proxyBin, node = process.execPath): Promise<ChildProcess> {
  const file = join(work, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  const child = start(node, [...nodeArgs, bin, "--config", file, "--drain-ms", "0"], env);
  for (const p of ports) await waitForPort(p);
  await new Promise((r) => setTimeout(r, 1000));
  return child;
}

export async function startHaproxy(work: string, name: string, config: string, ports: number[]): Promise<ChildProcess> {
  const file = join(work, `${name}.cfg`);
  await writeFile(file, config);
  const child = start("haproxy", ["-db", "-f", file]);
  for (const p of ports) await waitForPort(p);
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

/** Sends n requests over `connections` (at the fixed total rate, or as fast as they are answered); fails unless all got 200. */
export async function hey(url: string, n: number, connections: number, rate: number | undefined): Promise<void> {
  const args = ["-n", String(n), "-c", String(connections), ...(rate ? ["-q", String(rate / connections)] : []), url];
  const out = await run("hey", args);
  const ok = Number(/\[200\]\s+(\d+) responses/.exec(out)?.[1] ?? 0);
  if (ok !== n) throw new Error(`${url}: ${ok} of ${n} requests answered 200:\n${out.slice(-800)}`);
}

/** Process `pid`'s CPU milliseconds per 1,000 requests over n requests sent with {@link hey}. */
export async function cpuPer1k(pid: number, url: string, n: number, connections: number, rate: number | undefined): Promise<number> {
  const before = await procCpuSeconds([pid]);
  await hey(url, n, connections, rate);
  return ((await procCpuSeconds([pid])) - before) * 1e6 / n;
}
