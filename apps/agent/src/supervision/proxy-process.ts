// A proxy process as the agent records it in its state folder, and whether a
// restarted agent may adopt the one a record names. Proxies outlive an agent
// that crashed (they run in their own process group, their output goes to a
// file): the next agent finds them through these records and keeps
// supervising them instead of starting duplicates that could not bind their
// ports anyway.
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { readJsonFile, writeFileAtomically } from "../state-files.ts";

/** `<configDir>/<name>.process.json`: one per running proxy, removed when the agent stops it. */
export interface ProxyProcessRecord {
  id: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): a reused pid has another. */
  procStartTime: string;
  /** The proxy's admin listener (loopback). */
  adminAddress: string;
  adminPort: number;
  startedAt: string;
  /** The command line's proxy program and config file: a process running something else is not ours. */
  proxyBin: string;
  configFile: string;
}

/** What the operating system and the proxy's admin listener say about a pid and a port. */
export interface ProcessProbe {
  /** /proc/<pid>/stat's start time; undefined when the process is gone (or a zombie). */
  startTime(pid: number): Promise<string | undefined>;
  /** /proc/<pid>/cmdline's arguments; undefined when the process is gone. */
  commandLine(pid: number): Promise<string[] | undefined>;
  /** Whether `pid` holds the socket listening on `port` (its own file descriptor, not merely some process). */
  listensOn(pid: number, port: number): Promise<boolean>;
  /** Whether a weft-proxy admin API answers on `port` (GET /config: a config dump or "no config applied"). */
  adminAnswers(address: string, port: number): Promise<boolean>;
  /** Every live pid (to find a proxy whose record was never written: its agent died right after starting it). */
  pids(): Promise<number[]>;
}

/**
 * What to do with the process a record names:
 * - `adopt`: it is the proxy the record describes, alive and answering;
 * - `start`: nothing of ours runs (gone, or the pid now belongs to another program);
 * - `replace`: it is our proxy but unusable (its admin listener moved, or does not answer): stop it, then start anew.
 */
export type AdoptionDecision =
  | { action: "adopt" }
  | { action: "start"; reason: "no record" | "exited" | "pid reused" | "foreign process" }
  | { action: "replace"; reason: "admin port changed" | "admin listener not held by the process" | "admin API not answering" };

/** The facts about the process a record names that say whether it is still ours. */
export async function isOurs(record: ProxyProcessRecord, probe: ProcessProbe): Promise<{ ours: true } | { ours: false; reason: "exited" | "pid reused" | "foreign process" }> {
  const startTime = await probe.startTime(record.pid);
  if (startTime === undefined) return { ours: false, reason: "exited" };
  if (startTime !== record.procStartTime) return { ours: false, reason: "pid reused" };
  const args = (await probe.commandLine(record.pid)) ?? [];
  const config = args.indexOf("--config");
  if (!args.includes(record.proxyBin) || config < 0 || args[config + 1] !== record.configFile) return { ours: false, reason: "foreign process" };
  return { ours: true };
}

/** Whether the proxy `record` names may be adopted for an instance whose admin listener is `expected`. */
export async function decideAdoption(record: ProxyProcessRecord | undefined, expected: { adminPort: number; proxyBin: string; configFile: string }, probe: ProcessProbe): Promise<AdoptionDecision> {
  if (!record) return { action: "start", reason: "no record" };
  if (record.proxyBin !== expected.proxyBin || record.configFile !== expected.configFile) return { action: "start", reason: "foreign process" };
  const ours = await isOurs(record, probe);
  if (!ours.ours) return { action: "start", reason: ours.reason };
  if (record.adminPort !== expected.adminPort) return { action: "replace", reason: "admin port changed" };
  if (!(await probe.listensOn(record.pid, record.adminPort))) return { action: "replace", reason: "admin listener not held by the process" };
  if (!(await probe.adminAnswers(record.adminAddress, record.adminPort))) return { action: "replace", reason: "admin API not answering" };
  return { action: "adopt" };
}

/** The record's file beside the proxy's config file. */
export const recordFileFor = (configFile: string): string => configFile.replace(/\.yaml$/, ".process.json");

export async function writeProcessRecord(record: ProxyProcessRecord): Promise<void> {
  await writeFileAtomically(recordFileFor(record.configFile), `${JSON.stringify(record, null, 2)}\n`);
}

function parseRecord(value: unknown): ProxyProcessRecord | undefined {
  const r = value as Partial<ProxyProcessRecord> | undefined;
  if (!r || typeof r !== "object") return undefined;
  const ok =
    typeof r.id === "string" &&
    Number.isSafeInteger(r.pid) &&
    (r.pid ?? 0) > 1 &&
    typeof r.procStartTime === "string" &&
    typeof r.adminAddress === "string" &&
    Number.isInteger(r.adminPort) &&
    typeof r.startedAt === "string" &&
    typeof r.proxyBin === "string" &&
    typeof r.configFile === "string";
  return ok ? (r as ProxyProcessRecord) : undefined;
}

/** The record for `configFile`; undefined when there is none or it is not one (a foreign or damaged file is not trusted). */
export async function readProcessRecord(configFile: string): Promise<ProxyProcessRecord | undefined> {
  return parseRecord(await readJsonFile(recordFileFor(configFile)).catch(() => undefined));
}

/** Every record in `dir` (proxies the previous agent ran, whether still declared or not). */
export async function listProcessRecords(dir: string): Promise<ProxyProcessRecord[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const records = await Promise.all(names.filter((n) => n.endsWith(".process.json")).map(async (n) => parseRecord(await readJsonFile(join(dir, n)).catch(() => undefined))));
  return records.filter((r): r is ProxyProcessRecord => r !== undefined);
}

/**
 * The live processes running `proxyBin --config <file>`, by config file: one
 * scan of the process table, for the proxies that have no record (their agent
 * died between starting and recording them). Such a proxy still holds its
 * instance's ports, so it is checked for adoption like a recorded one rather
 * than left running beside a new proxy that could not bind them.
 */
export async function unrecordedProxies(proxyBin: string, probe: ProcessProbe): Promise<Map<string, { pid: number; procStartTime: string }>> {
  const found = new Map<string, { pid: number; procStartTime: string }>();
  for (const { pid, config } of await processesWithConfig(probe, (args) => args.includes(proxyBin))) {
    const procStartTime = await probe.startTime(pid);
    if (procStartTime !== undefined) found.set(config, { pid, procStartTime });
  }
  return found;
}

/** Every other live process whose command line has `--config <file>` and passes `accept`: one scan of the process table. */
async function processesWithConfig(probe: ProcessProbe, accept: (args: string[], config: string) => boolean): Promise<{ pid: number; config: string }[]> {
  const found: { pid: number; config: string }[] = [];
  for (const pid of await probe.pids()) {
    if (pid === process.pid) continue;
    const args = (await probe.commandLine(pid)) ?? [];
    const at = args.indexOf("--config");
    const config = at < 0 ? undefined : args[at + 1];
    if (config !== undefined && accept(args, config)) found.push({ pid, config });
  }
  return found;
}

/** Linux's /proc, and an HTTP GET to the admin listener. */
export const procProbe: ProcessProbe = {
  async startTime(pid) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined) return undefined;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  },
  async commandLine(pid) {
    const text = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
    return text === undefined ? undefined : text.split("\0").filter(Boolean);
  },
  async listensOn(pid, port) {
    const inodes = new Set<string>();
    for (const table of ["tcp", "tcp6"]) {
      const text = await readFile(`/proc/${pid}/net/${table}`, "utf8").catch(() => "");
      for (const line of text.split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        // local_address is "<hex ip>:<hex port>"; state 0A is LISTEN; the inode is the tenth column.
        if (cols.length > 9 && parseInt(cols[1]!.split(":")[1] ?? "", 16) === port && cols[3] === "0A") inodes.add(cols[9]!);
      }
    }
    if (inodes.size === 0) return false;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return true;
    }
    return false;
  },
  async pids() {
    return (await readdir("/proc").catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  },
  async adminAnswers(address, port) {
    try {
      const res = await fetch(`http://${address}:${port}/config`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json().catch(() => undefined)) as { version?: unknown; error?: unknown } | undefined;
      return (res.status === 200 && typeof body?.version === "string") || (res.status === 503 && body?.error === "no config applied");
    } catch {
      return false;
    }
  },
};

/**
 * SIGKILLs every process running a proxy config from an agent's state folder
 * (`--config <stateDir>/proxies/…` or `…/gateway/…`), recorded or not;
 * returns how many it killed. For whoever runs agents and must leave nothing
 * behind even when an agent did not get to stop its own proxies (npm start's
 * forced stop, an agent killed during its orderly one): a crashed agent's
 * proxies outlive it on purpose, to be adopted by its next run.
 */
export async function killProxiesOf(stateDir: string, probe: ProcessProbe = procProbe): Promise<number> {
  const folders = ["proxies", "gateway"].map((f) => `${join(stateDir, f)}/`);
  let killed = 0;
  for (const { pid } of await processesWithConfig(probe, (_args, config) => folders.some((f) => config.startsWith(f)))) {
    try {
      process.kill(pid, "SIGKILL");
      killed++;
    } catch {
      // Gone meanwhile.
    }
  }
  return killed;
}
