// Runs one weft-proxy process per local instance (universal mode): writes
// its config file, restarts it with backoff when it exits, stops it cleanly.
// Proxies outlive an agent that crashes (their own process group, output to a
// log file, a record in the state folder) and the next agent adopts them; an
// orderly stop of the agent stops them. Each running proxy's admin /ready is
// probed: a proxy is ready once it serves a config and until it exits, drains
// or stops answering (what universal discovery reports its instance's
// endpoint ready by).
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { errorMessage, type Logger } from "../logger.ts";
import { LogTail, sizeOf } from "./proxy-log.ts";
import {
  decideAdoption,
  isOurs,
  listProcessRecords,
  procProbe,
  readProcessRecord,
  recordFileFor,
  writeProcessRecord,
  type ProcessProbe,
  type ProxyProcessRecord,
  unrecordedProxies,
} from "./proxy-process.ts";
import { DEFAULT_BACKOFF, nextAttempt, restartDelay, type BackoffPolicy } from "./restart-backoff.ts";

export type ProxyState = "starting" | "running" | "backoff" | "stopping" | "stopped";

export interface ProxyStatus {
  id: string;
  state: ProxyState;
  pid?: number;
  restarts: number;
  startedAt?: string;
  configFile: string;
  configVersion?: string;
  lastExit?: { code: number | null; signal: string | null; at: string; uptimeMs: number };
  nextRestartAt?: string;
  /** Set when this agent took the proxy over from a previous one (which crashed) rather than starting it. */
  adoptedAt?: string;
  /** The proxy's last log lines (JSON lines of its log file), newest last. */
  recentLogs: string[];
  /** Running and its admin /ready answers 200 (a config applied, not draining): its instance may receive traffic. */
  ready: boolean;
}

export interface SupervisorOptions {
  /** Folder the config files go to (`<stateDir>/proxies`). */
  configDir: string;
  /** Path of `weft-proxy.js`. */
  proxyBin: string;
  logger: Logger;
  backoff?: Partial<BackoffPolicy>;
  /** How long a stopping proxy may drain before SIGKILL. */
  drainMs?: number;
  /** Where a proxy's pid and identity are checked (Linux's /proc and its admin API when omitted). */
  probe?: ProcessProbe;
  /** How long a previous agent's proxy, alive and ours, may take to answer on its admin listener before it is replaced (10 s when omitted). */
  adoptGraceMs?: number;
  /** A proxy's log file is rotated past this size (5 MiB when omitted). */
  logMaxBytes?: number;
  /** Whether the proxy's admin listener says it is ready (GET /ready answers 200 when omitted). */
  readinessProbe?: (address: string, port: number) => Promise<boolean>;
  /** How often a proxy not (yet) ready is probed (100 ms when omitted), and a ready one (1 s). */
  readyProbeMs?: { starting?: number; ready?: number };
  /** Told every change of a proxy's readiness (started and ready, exited, stopped, stopped answering). */
  onReadyChange?: (id: string, ready: boolean) => void;
}

/** Failed probes in a row before a ready proxy that is still running counts as not ready (a loaded machine answers late now and then). */
const READY_FAILURE_THRESHOLD = 3;

/** GET /ready on a proxy's admin listener: 200 once it applied a config, 503 while it has none or drains. */
export async function adminReady(address: string, port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${address === "0.0.0.0" ? "127.0.0.1" : address}:${port}/ready`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

const RECENT_LOGS = 20;

/** The file name of an instance's config: ids are `<namespace>/<name>`, both DNS labels. */
const fileFor = (dir: string, id: string) => join(dir, `${id.replace("/", "--")}.yaml`);

/** Writes by rename, so the proxy's file watcher never reads a half-written file. */
async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}

/** The admin listener a config declares (where an adopted proxy is checked and reached). */
function adminListenerOf(config: ProxyConfigInput): { address: string; port: number } | undefined {
  const admin = config.listeners?.find((l) => l.kind === "admin");
  return admin && { address: admin.address ?? "127.0.0.1", port: admin.port };
}

/** The proxy process a SupervisedProxy runs: a child it spawned, or one it adopted from a previous agent. */
interface RunningProcess {
  pid: number;
  /** Resolves once the process is gone, with what is known of how it ended (nothing, for an adopted one). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
}

const ADOPTED_POLL_MS = 500;

class SupervisedProxy {
  #process: RunningProcess | undefined;
  #attempt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();
  #startedAtMs = 0;
  #contentHash: string | undefined;
  #admin: { address: string; port: number } | undefined;
  #tail: LogTail | undefined;
  #detached = false;
  #stopPolling: (() => void) | undefined;
  /** Bumped whenever the process changes or goes: a probe of an earlier one changes nothing. */
  #generation = 0;
  #readyTimer: NodeJS.Timeout | undefined;
  #readyFailures = 0;
  readonly status: ProxyStatus;
  readonly logFile: string;

  constructor(
    readonly id: string,
    private readonly options: SupervisorOptions,
    private readonly policy: BackoffPolicy,
  ) {
    this.status = { id, state: "stopped", restarts: 0, configFile: fileFor(options.configDir, id), recentLogs: [], ready: false };
    this.logFile = this.status.configFile.replace(/\.yaml$/, ".log");
  }

  get probe(): ProcessProbe {
    return this.options.probe ?? procProbe;
  }

  get ready(): boolean {
    return this.status.ready;
  }

  #setReady(ready: boolean): void {
    if (this.status.ready === ready) return;
    this.status.ready = ready;
    this.options.logger.info(ready ? "proxy ready" : "proxy not ready", { proxy: this.id, pid: this.status.pid });
    this.options.onReadyChange?.(this.id, ready);
  }

  /** One readiness probe of the current process; false without one or without a known admin listener. */
  async #probeOnce(): Promise<boolean> {
    const admin = this.#admin;
    if (!admin || !this.#process) return false;
    return (this.options.readinessProbe ?? adminReady)(admin.address, admin.port);
  }

  /**
   * Probes the current process until it goes: often until it is first ready,
   * then less often. A ready proxy turns not ready after a few failed probes
   * in a row (or at once when it exits: #onExit).
   */
  #probeReadiness(): void {
    clearTimeout(this.#readyTimer);
    const generation = this.#generation;
    const every = this.options.readyProbeMs;
    const schedule = () => {
      this.#readyTimer = setTimeout(() => void tick(), this.status.ready ? (every?.ready ?? 1000) : (every?.starting ?? 100));
      this.#readyTimer.unref();
    };
    const tick = async () => {
      const ok = await this.#probeOnce();
      if (generation !== this.#generation || this.status.state === "stopping" || this.status.state === "stopped") return;
      if (ok) {
        this.#readyFailures = 0;
        this.#setReady(true);
      } else if (this.status.ready && ++this.#readyFailures >= READY_FAILURE_THRESHOLD) {
        this.#readyFailures = 0;
        this.#setReady(false);
      }
      schedule();
    };
    schedule();
  }

  #stopProbing(): void {
    this.#generation += 1;
    clearTimeout(this.#readyTimer);
    this.#readyFailures = 0;
  }

  /** Writes the config file when its content changed; a running proxy reloads it through its own file watcher. */
  async writeConfig(config: ProxyConfigInput): Promise<boolean> {
    const text = `# Written by weft-agent for ${this.id}; edits are overwritten.\n${JSON.stringify(config, null, 2)}\n`;
    const hash = createHash("sha256").update(text).digest("hex");
    this.#admin = adminListenerOf(config) ?? this.#admin;
    if (hash === this.#contentHash) return false;
    await writeAtomically(this.status.configFile, text);
    this.#contentHash = hash;
    this.status.configVersion = config.version;
    return true;
  }

  /** The proxy's output: kept (the last lines) and relayed to the agent's log at debug level. */
  #onLogLine = (line: string): void => {
    this.status.recentLogs.push(line);
    this.status.recentLogs.splice(0, Math.max(0, this.status.recentLogs.length - RECENT_LOGS));
    this.options.logger.debug("proxy log", { proxy: this.id, line });
  };

  async #tailFrom(offset: number): Promise<void> {
    await this.#tail?.stop();
    this.#tail = new LogTail(this.logFile, offset, this.#onLogLine, { ...(this.options.logMaxBytes !== undefined && { maxBytes: this.options.logMaxBytes }) });
    this.#tail.start();
  }

  /**
   * Starts the proxy in a process group of its own, its output appended to its
   * log file: no signal to the agent's group and no pipe's closing reaches it,
   * so it outlives an agent that crashed, for the next agent to adopt.
   */
  async start(): Promise<void> {
    if (this.status.state === "stopping") return;
    clearTimeout(this.#restartTimer);
    this.status.nextRestartAt = undefined;
    this.status.adoptedAt = undefined;
    this.status.state = "starting";
    await mkdir(dirname(this.logFile), { recursive: true, mode: 0o700 });
    const offset = await sizeOf(this.logFile);
    // Stopped while the folder was made: a proxy spawned now would outlive the stop (it is detached).
    if (this.status.state !== "starting") return;
    const out = openSync(this.logFile, "a", 0o600);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.options.proxyBin, "--config", this.status.configFile, "--drain-ms", String(this.options.drainMs ?? 2000)], {
        stdio: ["ignore", out, out],
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    this.#startedAtMs = Date.now();
    this.status.startedAt = new Date().toISOString();
    const pid = child.pid;
    this.status.pid = pid;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once("error", (err) => {
        this.options.logger.error("proxy could not be started", { proxy: this.id, error: err.message });
        if (pid === undefined) resolve({ code: null, signal: null });
      });
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    child.once("spawn", () => {
      if (this.status.state === "starting") this.status.state = "running";
      this.options.logger.info("proxy started", { proxy: this.id, pid, restarts: this.status.restarts });
    });
    this.#watch({ pid: pid ?? -1, exited, signal: (s) => void child.kill(s) });
    this.#probeReadiness();
    await this.#tailFrom(offset);
    if (pid !== undefined) await this.#record(pid);
  }

  /** Records the running proxy in the state folder (atomically), for an agent restarted after a crash to adopt. */
  async #record(pid: number): Promise<void> {
    const procStartTime = await this.probe.startTime(pid);
    if (procStartTime === undefined || this.status.pid !== pid) return;
    const admin = this.#admin;
    if (!admin) return;
    await writeProcessRecord({
      id: this.id,
      pid,
      procStartTime,
      adminAddress: admin.address,
      adminPort: admin.port,
      startedAt: this.status.startedAt ?? new Date().toISOString(),
      proxyBin: this.options.proxyBin,
      configFile: this.status.configFile,
    }).catch((err: unknown) => this.options.logger.warn("proxy not recorded for adoption", { proxy: this.id, error: errorMessage(err) }));
  }

  /**
   * Takes over a proxy a previous agent started (checked by decideAdoption): it
   * is not this agent's child, so its exit is noticed by polling its pid and
   * /proc start time (no SIGCHLD), then restarted as a child would be.
   */
  async adopt(record: ProxyProcessRecord): Promise<void> {
    this.#admin = { address: record.adminAddress, port: record.adminPort };
    // The file holds what the proxy accepted last (the previous agent wrote it after each accepted push).
    this.#contentHash = undefined;
    this.status.state = "running";
    this.status.pid = record.pid;
    this.status.startedAt = record.startedAt;
    this.status.adoptedAt = new Date().toISOString();
    this.#startedAtMs = Date.parse(record.startedAt) || Date.now();
    const probe = this.probe;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const poll = setInterval(() => {
        void probe.startTime(record.pid).then((t) => {
          if (t === record.procStartTime) return;
          clearInterval(poll);
          resolve({ code: null, signal: null });
        });
      }, ADOPTED_POLL_MS);
      poll.unref();
      this.#stopPolling = () => clearInterval(poll);
    });
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(record.pid, s);
      } catch {
        // Already gone.
      }
    };
    this.#watch({ pid: record.pid, exited, signal });
    // Known before the adoption returns: the first compile and discovery report after an agent restart
    // must not see a serving proxy as not ready (its callers would turn away from it for a moment).
    if (await this.#probeOnce()) this.#setReady(true);
    this.#probeReadiness();
    await this.#tailFrom(await sizeOf(this.logFile));
    this.options.logger.info("proxy adopted", { proxy: this.id, pid: record.pid, adminPort: record.adminPort, startedAt: record.startedAt });
  }

  #watch(running: RunningProcess): void {
    this.#stopProbing();
    this.#process = running;
    this.#exited = running.exited.then(async ({ code, signal }) => {
      if (this.#detached) return;
      await this.#tail?.poll();
      await rm(recordFileFor(this.status.configFile), { force: true }).catch(() => undefined);
      this.#onExit(code, signal);
    });
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const uptimeMs = Date.now() - this.#startedAtMs;
    this.status.lastExit = { code, signal, at: new Date().toISOString(), uptimeMs };
    this.status.pid = undefined;
    this.#process = undefined;
    this.#stopProbing();
    this.#setReady(false);
    if (this.status.state === "stopping" || this.status.state === "stopped") {
      this.status.state = "stopped";
      return;
    }
    this.#attempt = nextAttempt(this.#attempt, uptimeMs, this.policy);
    const delay = restartDelay(this.#attempt, this.policy);
    this.status.state = "backoff";
    this.status.nextRestartAt = new Date(Date.now() + delay).toISOString();
    this.options.logger.warn("proxy exited; restarting", { proxy: this.id, code, signal, uptimeMs, restartInMs: delay, attempt: this.#attempt, lastLog: this.status.recentLogs.at(-1) });
    this.#restartTimer = setTimeout(() => {
      this.status.restarts += 1;
      void this.start().catch((err: unknown) => this.options.logger.error("proxy could not be started", { proxy: this.id, error: errorMessage(err) }));
    }, delay);
  }

  /** Stops supervising, leaving the process running (its record stays, for the next agent). */
  async detach(): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#stopProbing();
    this.#detached = true;
    this.#stopPolling?.();
    await this.#tail?.stop();
    this.#tail = undefined;
  }

  /** SIGTERM (the proxy drains), then SIGKILL if it outstays its drain time. */
  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const running = this.#process;
    this.status.state = "stopping";
    this.status.nextRestartAt = undefined;
    // Callers turn away before it drains (a terminating pod's endpoint is not ready either).
    this.#stopProbing();
    this.#setReady(false);
    if (running) {
      running.signal("SIGTERM");
      const killer = setTimeout(() => running.signal("SIGKILL"), (this.options.drainMs ?? 2000) + 3000);
      await this.#exited;
      clearTimeout(killer);
    }
    await this.#tail?.stop();
    this.#tail = undefined;
    this.status.state = "stopped";
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, to a proxy of a previous agent's that this one does not adopt; resolves once it is gone. */
async function stopRecorded(record: ProxyProcessRecord, probe: ProcessProbe, graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(record.pid, s);
    } catch {
      // Already gone.
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  let killed = false;
  while ((await probe.startTime(record.pid)) === record.procStartTime && Date.now() < deadline + graceMs) {
    if (!killed && Date.now() > deadline) {
      signal("SIGKILL");
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class ProxySupervisor {
  #proxies = new Map<string, SupervisedProxy>();
  #policy: BackoffPolicy;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Whether the first sync has looked for proxies of a previous agent that are no longer declared. */
  #swept = false;
  #adopted = new Set<string>();

  constructor(private readonly options: SupervisorOptions) {
    this.#policy = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  /**
   * Makes the set of running proxies match `desired` (instance id → config):
   * starts new ones on their config, stops the ones gone (`undefined`: keep
   * a running one as it is, start nothing). Running proxies
   * are reconfigured through their admin listener, then `persist`ed.
   * Serialized: calls apply in order.
   */
  sync(desired: ReadonlyMap<string, ProxyConfigInput | undefined>): Promise<void> {
    this.#queue = this.#queue.then(() => this.#sync(desired)).catch((err: unknown) => this.options.logger.error("proxy supervision failed", { error: errorMessage(err) }));
    return this.#queue;
  }

  async #sync(desired: ReadonlyMap<string, ProxyConfigInput | undefined>): Promise<void> {
    if (this.#stopped) return;
    await mkdir(this.options.configDir, { recursive: true, mode: 0o700 });
    if (!this.#swept) {
      this.#swept = true;
      await this.#stopUndeclared(desired);
    }
    for (const [id, proxy] of this.#proxies) {
      if (desired.has(id)) continue;
      this.#proxies.delete(id);
      await proxy.stop();
      await rm(proxy.status.configFile, { force: true });
      this.options.logger.info("proxy removed", { proxy: id });
    }
    // One scan of the process table per sync, and only if some proxy to start has no record.
    let scan: Promise<Map<string, { pid: number; procStartTime: string }>> | undefined;
    const unrecorded = () => (scan ??= unrecordedProxies(this.options.proxyBin, this.options.probe ?? procProbe));
    for (const [id, config] of desired) {
      if (this.#proxies.has(id)) continue;
      const proxy = new SupervisedProxy(id, this.options, this.#policy);
      if (await this.#adopt(proxy, config && adminListenerOf(config), unrecorded)) {
        this.#proxies.set(id, proxy);
        this.#adopted.add(id);
        continue;
      }
      if (config === undefined) continue;
      this.#proxies.set(id, proxy);
      await proxy.writeConfig(config);
      await proxy.start();
    }
  }

  /**
   * Takes over the proxy a previous agent left running for `proxy.id` when it
   * is that proxy (see decideAdoption); stops it when it is ours but unusable.
   * The config is not written here: the caller pushes it through the admin
   * API, and the file follows once the proxy accepted it (persist).
   */
  async #adopt(
    proxy: SupervisedProxy,
    admin: { address: string; port: number } | undefined,
    unrecorded: () => Promise<Map<string, { pid: number; procStartTime: string }>>,
  ): Promise<boolean> {
    const probe = this.options.probe ?? procProbe;
    const { configFile } = proxy.status;
    let record = await readProcessRecord(configFile);
    if (!record && admin) {
      const found = (await unrecorded()).get(configFile);
      if (found) record = { id: proxy.id, ...found, adminAddress: admin.address, adminPort: admin.port, startedAt: new Date().toISOString(), proxyBin: this.options.proxyBin, configFile };
    }
    if (!record) return false;
    const adminPort = admin?.port ?? record.adminPort;
    const expected = { adminPort, proxyBin: this.options.proxyBin, configFile: proxy.status.configFile };
    let decision = await decideAdoption(record, expected, probe);
    // Ours and alive but not answering yet: it may be starting (the agent died just after starting it).
    const graceUntil = Date.now() + (this.options.adoptGraceMs ?? 10_000);
    while (decision.action === "replace" && decision.reason !== "admin port changed" && Date.now() < graceUntil) {
      await new Promise((r) => setTimeout(r, 200));
      decision = await decideAdoption(record, expected, probe);
    }
    if (decision.action === "adopt") {
      await proxy.adopt(record);
      return true;
    }
    this.options.logger.info("proxy not adopted", { proxy: proxy.id, pid: record.pid, reason: decision.reason });
    if (decision.action === "replace") await stopRecorded(record, probe, (this.options.drainMs ?? 2000) + 3000);
    await rm(recordFileFor(proxy.status.configFile), { force: true });
    return false;
  }

  /**
   * Takes over the proxies a previous agent left running for these instances
   * (id → the admin listener their instance declares), before anything is
   * compiled for them: their readiness is then known to the first compile and
   * discovery report after an agent restart. Starts and stops nothing; a
   * proxy adopted here is pushed its config like a running one (sync finds it supervised).
   */
  adoptRunning(admins: ReadonlyMap<string, { address: string; port: number }>): Promise<void> {
    this.#queue = this.#queue.then(() => this.#adoptRunning(admins)).catch((err: unknown) => this.options.logger.error("proxy adoption failed", { error: errorMessage(err) }));
    return this.#queue;
  }

  async #adoptRunning(admins: ReadonlyMap<string, { address: string; port: number }>): Promise<void> {
    if (this.#stopped) return;
    // Only recorded proxies: sync still scans the process table for unrecorded ones before starting any.
    const none = async () => new Map<string, { pid: number; procStartTime: string }>();
    for (const [id, admin] of admins) {
      if (this.#proxies.has(id)) continue;
      const proxy = new SupervisedProxy(id, this.options, this.#policy);
      if (await this.#adopt(proxy, admin, none)) this.#proxies.set(id, proxy);
    }
  }

  /** Stops the proxies a previous agent left running for instances no longer declared (checked to be ours first). */
  async #stopUndeclared(desired: ReadonlyMap<string, unknown>): Promise<void> {
    const probe = this.options.probe ?? procProbe;
    for (const record of await listProcessRecords(this.options.configDir)) {
      if (desired.has(record.id) || record.configFile !== fileFor(this.options.configDir, record.id)) continue;
      if ((await isOurs(record, probe)).ours) {
        this.options.logger.info("stopping a proxy left by a previous agent for an instance no longer declared", { proxy: record.id, pid: record.pid });
        await stopRecorded(record, probe, (this.options.drainMs ?? 2000) + 3000);
      }
      await rm(recordFileFor(record.configFile), { force: true });
      await rm(record.configFile, { force: true });
    }
  }

  /**
   * Whether the proxy for `id` was adopted from a previous agent (once: the
   * answer is consumed) rather than started on the config sync handed it: an
   * adopted proxy runs whatever it ran, so its config is pushed like a running proxy's.
   */
  takeAdopted(id: string): boolean {
    return this.#adopted.delete(id);
  }

  /** Whether the proxy for `id` runs and is ready (its admin /ready answers 200); false when none is supervised. */
  isReady(id: string): boolean {
    return this.#proxies.get(id)?.ready ?? false;
  }

  /** Whether a proxy for `id` is supervised (running, starting or in backoff). */
  has(id: string): boolean {
    return this.#proxies.has(id);
  }

  /**
   * Records `config` as the proxy's config file once the proxy accepted it
   * (PUT /config): a proxy restarted after a crash comes back on the last
   * accepted config, never on one it refused.
   */
  async persist(id: string, config: ProxyConfigInput): Promise<void> {
    const proxy = this.#proxies.get(id);
    if (proxy && (await proxy.writeConfig(config))) this.options.logger.info("proxy config updated", { proxy: id, version: config.version });
  }

  status(): ProxyStatus[] {
    return [...this.#proxies.values()].map((p) => ({ ...p.status, recentLogs: [...p.status.recentLogs] }));
  }

  /** The config file currently written for `id`, for diagnostics. */
  async configText(id: string): Promise<string | undefined> {
    const proxy = this.#proxies.get(id);
    return proxy ? readFile(proxy.status.configFile, "utf8") : undefined;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#queue;
    await Promise.all([...this.#proxies.values()].map((p) => p.stop()));
  }

  /**
   * Leaves the proxies running for the next agent to adopt, as a crash would:
   * only tests call this (an agent that stops in order stops its proxies).
   */
  async abandon(): Promise<void> {
    this.#stopped = true;
    await this.#queue;
    await Promise.all([...this.#proxies.values()].map((p) => p.detach()));
  }
}
