// Runs one weft-proxy process per local instance (universal mode): writes
// its config file, restarts it with backoff when it exits, stops it cleanly.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { errorMessage, type Logger } from "../logger.ts";
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
  /** The proxy's last log lines (JSON lines on its stderr), newest last. */
  recentLogs: string[];
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

class SupervisedProxy {
  #child: ChildProcess | undefined;
  #attempt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();
  #startedAtMs = 0;
  #contentHash: string | undefined;
  readonly status: ProxyStatus;

  constructor(
    readonly id: string,
    private readonly options: SupervisorOptions,
    private readonly policy: BackoffPolicy,
  ) {
    this.status = { id, state: "stopped", restarts: 0, configFile: fileFor(options.configDir, id), recentLogs: [] };
  }

  /** Writes the config file when its content changed; a running proxy reloads it through its own file watcher. */
  async writeConfig(config: ProxyConfigInput): Promise<boolean> {
    const text = `# Written by weft-agent for ${this.id}; edits are overwritten.\n${JSON.stringify(config, null, 2)}\n`;
    const hash = createHash("sha256").update(text).digest("hex");
    if (hash === this.#contentHash) return false;
    await writeAtomically(this.status.configFile, text);
    this.#contentHash = hash;
    this.status.configVersion = config.version;
    return true;
  }

  start(): void {
    if (this.status.state === "stopping") return;
    clearTimeout(this.#restartTimer);
    this.status.nextRestartAt = undefined;
    this.status.state = "starting";
    const child = spawn(process.execPath, [this.options.proxyBin, "--config", this.status.configFile, "--drain-ms", String(this.options.drainMs ?? 2000)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.#child = child;
    this.#startedAtMs = Date.now();
    this.status.pid = child.pid;
    this.status.startedAt = new Date().toISOString();
    let buffered = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines.filter(Boolean)) {
        this.status.recentLogs.push(line);
        this.options.logger.debug("proxy log", { proxy: this.id, line });
      }
      this.status.recentLogs.splice(0, Math.max(0, this.status.recentLogs.length - RECENT_LOGS));
    });
    child.once("spawn", () => {
      if (this.status.state === "starting") this.status.state = "running";
      this.options.logger.info("proxy started", { proxy: this.id, pid: child.pid, restarts: this.status.restarts });
    });
    this.#exited = new Promise((resolve) => {
      child.once("error", (err) => this.options.logger.error("proxy could not be started", { proxy: this.id, error: err.message }));
      child.once("close", (code, signal) => {
        this.#onExit(code, signal);
        resolve();
      });
    });
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const uptimeMs = Date.now() - this.#startedAtMs;
    this.status.lastExit = { code, signal, at: new Date().toISOString(), uptimeMs };
    this.status.pid = undefined;
    this.#child = undefined;
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
      this.start();
    }, delay);
  }

  /** SIGTERM (the proxy drains), then SIGKILL if it outstays its drain time. */
  async stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.status.state = "stopping";
    this.status.nextRestartAt = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), (this.options.drainMs ?? 2000) + 3000);
      await this.#exited;
      clearTimeout(killer);
    }
    this.status.state = "stopped";
  }
}

export class ProxySupervisor {
  #proxies = new Map<string, SupervisedProxy>();
  #policy: BackoffPolicy;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

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
    for (const [id, proxy] of this.#proxies) {
      if (desired.has(id)) continue;
      this.#proxies.delete(id);
      await proxy.stop();
      await rm(proxy.status.configFile, { force: true });
      this.options.logger.info("proxy removed", { proxy: id });
    }
    for (const [id, config] of desired) {
      if (this.#proxies.has(id) || config === undefined) continue;
      const proxy = new SupervisedProxy(id, this.options, this.#policy);
      this.#proxies.set(id, proxy);
      await proxy.writeConfig(config);
      proxy.start();
    }
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
}
