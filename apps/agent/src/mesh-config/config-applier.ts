// The agent's config loop: (cluster config from the manager, local catalog)
// → one compile input per local proxy → compiled ProxyConfig → pushed to the
// proxy → applied or rejected. The resources and catalog are parsed once per
// reconcile for all proxies (MeshCompiler, which also shares outbound parts
// between proxies that sit alike). Work is skipped when a proxy's input key is
// unchanged (no compile; a proxy scoped by a Sidecar keys only what its scope
// sees) or the compiled version is already active (no push).
// The only way a config reaches a running proxy is PUT /config on its admin
// port; the supervisor's file follows what the proxy accepted.
import { foldProxyDiagnostics, type AckDiagnostic, type ClusterConfig } from "@weft/mesh-model";
import { type CompileDiagnostic, type CompileResult, type compileProxyConfig, MeshCompiler, SharedParseCache } from "@weft/mesh-model/compiler";
import type { ProxyConfig } from "@weft/mesh-model/proxy-config";
import { errorMessage, type Logger } from "../logger.ts";
import type { ProxySupervisor } from "../supervision/proxy-supervisor.ts";
import { localInstances, withProxyReadiness, type LocalInstance, type ProxyReadiness } from "../universal/universal-catalog.ts";
import type { UniversalFile } from "../universal/universal-file.schema.ts";
import { inputHash, proxyCompileInputs, RemoteCatalogCache, sharedCompileInputWithKeys, type IdentityFilePaths } from "./compile-inputs.ts";
import type { ProxyAdminClient } from "../supervision/proxy-admin-client.ts";

/** What one proxy did with its config for the current inputs. */
export interface ProxyOutcome {
  proxy: string;
  status: "applied" | "rejected";
  reason?: string;
  /** The compiled version it runs (applied) or refused (rejected). */
  version?: string;
}

/** The result of a reconcile: per proxy, for the cluster config version it was computed from. */
export interface ApplyOutcome {
  /** ClusterConfig.configVersion, or undefined while no manager config is known. */
  configVersion: string | undefined;
  status: "applied" | "rejected";
  reason?: string;
  proxies: ProxyOutcome[];
  /** The compiler's findings for the proxies' current configs, one entry per distinct finding (acknowledged with the version). */
  diagnostics?: AckDiagnostic[];
}

interface ProxyState {
  instance: LocalInstance;
  inputHash?: string;
  outcome?: ProxyOutcome;
  /** The compiled version the proxy is known to run. */
  active?: string;
  /** What the compiler said about its current input. */
  diagnostics?: readonly CompileDiagnostic[];
  /** Its last push or start found no proxy answering (started after the timeout, or restarting): the next reconcile pushes again. */
  unreachable?: boolean;
}

export interface ConfigApplierOptions {
  cluster: string;
  supervisor: ProxySupervisor;
  admin: ProxyAdminClient;
  logger: Logger;
  /** How long a newly started proxy may take to come up on its config. */
  startTimeoutMs?: number;
  compile?: typeof compileProxyConfig;
  /** The agent's identity loop: told the inputs on every reconcile, asked where each proxy's SVID files are. */
  identity?: ProxyIdentitySource;
  /** Told how long each compile and each push took (the agent's /metrics). */
  metrics?: { compiled(seconds: number): void; pushed(seconds: number, outcome: "applied" | "rejected"): void };
  /** Told every new cluster config (the east-west gateway follows the Mesh's export settings). */
  onClusterConfig?: (config: ClusterConfig) => void;
  /** Told the outcome of a reconcile the applier ran by itself (a retry after a proxy did not answer), to acknowledge it. */
  onRetryOutcome?: (outcome: ApplyOutcome | undefined) => void;
  /** How long after a proxy did not answer the applier tries again (2 s). */
  retryMs?: number;
  /**
   * Findings of configs compiled outside this applier for the same file and
   * cluster config (the east-west gateway's), acknowledged with the proxies'
   * under the id that reported them.
   */
  otherDiagnostics?: (file: UniversalFile, config: ClusterConfig | undefined) => { proxy: string; diagnostics: readonly CompileDiagnostic[] }[];
  /**
   * Readiness of the local proxies (the supervisor's): a local endpoint with a
   * proxy is compiled healthy only while its proxy is ready, so callers never
   * pick a closed inbound port; call reconcile when it changes. A proxy's own
   * inbound listener never depends on it. With it, proxies a previous agent
   * left running are adopted before the first compile (their readiness is then
   * known). Omitted, the file's `ready` alone decides.
   */
  proxyReady?: ProxyReadiness;
}

/** What the applier needs from the identity loop (apps/agent/src/identity). */
export interface ProxyIdentitySource {
  inputs(file: UniversalFile, config: ClusterConfig | undefined): void;
  filesFor(instance: LocalInstance): IdentityFilePaths | undefined;
  /** Resolves once SVIDs for the latest inputs are issued (or could not be), at most `timeoutMs` later. */
  issued?(timeoutMs: number): Promise<void>;
}

/**
 * How long a reconcile waits for SVIDs the mesh's trust calls for before it
 * compiles without them (a proxy then starts in plaintext and is recompiled
 * when they arrive). Issuing from a stored intermediate takes milliseconds;
 * a first intermediate is one round trip to the manager.
 */
const SVID_WAIT_MS = 5_000;

/**
 * After a proxy did not come up within the start timeout (a loaded machine)
 * or did not answer a push, the applier reconciles again this much later: the
 * proxy is then found running and reported applied, instead of staying
 * "rejected" until the next change (the east-west gateway's applier does the same).
 */
const RETRY_MS = 2_000;

export class ConfigApplier {
  #file: UniversalFile | undefined;
  #config: ClusterConfig | undefined;
  #proxies = new Map<string, ProxyState>();
  #queue: Promise<unknown> = Promise.resolve();
  #last: ApplyOutcome | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** The last snapshot's parsed resources and catalog: a change re-parses only what changed (every entry stays validated). */
  readonly #parses = new SharedParseCache();
  readonly #remote = new RemoteCatalogCache();
  readonly counters = { compiles: 0, compileSkips: 0, pushes: 0, pushSkips: 0, rejections: 0 };

  constructor(private readonly options: ConfigApplierOptions) {}

  get clusterConfig(): ClusterConfig | undefined {
    return this.#config;
  }
  get lastOutcome(): ApplyOutcome | undefined {
    return this.#last;
  }
  /** Local proxies with what they run, for telemetry and /status. */
  get proxies(): { id: string; instance: LocalInstance; active?: string; outcome?: ProxyOutcome }[] {
    return [...this.#proxies].map(([id, s]) => ({ id, instance: s.instance, ...(s.active !== undefined && { active: s.active }), ...(s.outcome && { outcome: s.outcome }) }));
  }
  get file(): UniversalFile | undefined {
    return this.#file;
  }

  /** A new local catalog (universal file). */
  setFile(file: UniversalFile): Promise<ApplyOutcome | undefined> {
    this.#file = file;
    return this.reconcile();
  }

  /** A new cluster config from the manager (or the cache). */
  setClusterConfig(config: ClusterConfig): Promise<ApplyOutcome | undefined> {
    this.#config = config;
    this.options.onClusterConfig?.(config);
    return this.reconcile();
  }

  /** Serialized: one reconcile at a time, each on the latest inputs. */
  reconcile(): Promise<ApplyOutcome | undefined> {
    clearTimeout(this.#retry);
    const run = this.#queue.then(() => this.#reconcile());
    this.#queue = run.catch(() => undefined);
    void run.then(
      () => this.#scheduleRetry(),
      () => undefined,
    );
    return run;
  }

  /** Stops retrying (agent shutdown). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
  }

  #scheduleRetry(): void {
    clearTimeout(this.#retry);
    if (this.#closed || ![...this.#proxies.values()].some((s) => s.unreachable)) return;
    this.#retry = setTimeout(() => void this.reconcile().then((outcome) => this.options.onRetryOutcome?.(outcome)), this.options.retryMs ?? RETRY_MS);
    this.#retry.unref();
  }

  async #reconcile(): Promise<ApplyOutcome | undefined> {
    const file = this.#file;
    if (!file) return undefined;
    const { cluster, supervisor, logger } = this.options;
    const config = this.#config;
    const identity = this.options.identity;
    identity?.inputs(file, config);
    // The compile input names SVID files only once they exist: without this wait, the first config
    // after a restart would differ from the one before it (plaintext, another version, a needless push).
    if (identity?.issued && config?.trust && localInstances(file).some((inst) => !identity.filesFor(inst))) await identity.issued(SVID_WAIT_MS);
    // The resources and catalog are parsed and indexed once for all local proxies (MeshCompiler); each proxy
    // adds its own part, and proxies that sit alike share their outbound part (virtual hosts, backends).
    const proxyReady = this.options.proxyReady;
    if (proxyReady) {
      const unsupervised = localInstances(file).filter((inst) => !supervisor.has(inst.id));
      if (unsupervised.length > 0) await supervisor.adoptRunning(new Map(unsupervised.map((inst) => [inst.id, { address: "127.0.0.1", port: inst.proxy.adminPort }])));
    }
    const { shared, keys } = sharedCompileInputWithKeys(withProxyReadiness(file, proxyReady), cluster, config, this.#remote);
    const inputs = proxyCompileInputs(file, cluster, config, identity && ((inst) => identity.filesFor(inst)));
    let compiler: MeshCompiler | undefined;
    let sharedError: unknown;
    try {
      compiler = new MeshCompiler(shared, { cache: this.#parses, keys });
    } catch (err) {
      sharedError = err;
    }
    const instances = new Map(localInstances(file).map((i) => [i.id, i]));
    for (const id of this.#proxies.keys()) if (!inputs.has(id)) this.#proxies.delete(id);

    const compiled = new Map<string, { state: ProxyState; config?: ProxyConfig; hash: string }>();
    for (const [id, proxy] of inputs) {
      const state = this.#proxies.get(id) ?? { instance: instances.get(id)! };
      state.instance = instances.get(id)!;
      this.#proxies.set(id, state);
      // Equal keys mean an equal config: a scoped proxy's key covers only what its scope can see.
      const hash = compiler ? compiler.inputKey(proxy) : inputHash({ ...shared, ...proxy });
      if (hash === state.inputHash && state.outcome && !state.unreachable) {
        this.counters.compileSkips++;
        compiled.set(id, { state, hash });
        continue;
      }
      const compile = (): CompileResult => {
        if (this.options.compile) return this.options.compile({ ...shared, ...proxy });
        if (!compiler) throw sharedError;
        return compiler.compile(proxy);
      };
      compiled.set(id, { state, hash, ...this.#compile(id, compile, state) });
    }

    // New proxies start on their first compiled config; gone ones stop.
    const starting = new Map<string, ProxyConfig>();
    const desired = new Map<string, ProxyConfig | undefined>();
    for (const [id, c] of compiled) {
      if (c.config && !supervisor.has(id)) starting.set(id, c.config);
      desired.set(id, starting.get(id));
    }
    await supervisor.sync(desired);
    // A proxy adopted from a crashed agent runs the config it accepted last: pushed like a running proxy's.
    for (const id of [...starting.keys()]) if (supervisor.takeAdopted(id)) starting.delete(id);

    await Promise.all(
      [...compiled].map(async ([id, c]) => {
        if (!c.config) return; // skipped (unchanged) or failed to compile (outcome already set)
        const began = performance.now();
        c.state.unreachable = false;
        c.state.outcome = starting.has(id) ? await this.#awaitStart(id, c.state, c.config) : await this.#push(id, c.state, c.config);
        this.options.metrics?.pushed((performance.now() - began) / 1000, c.state.outcome.status);
        c.state.inputHash = c.hash;
      }),
    );

    const proxies = [...this.#proxies.entries()].map(([, s]) => s.outcome!).filter(Boolean).sort((a, b) => (a.proxy < b.proxy ? -1 : 1));
    const rejected = proxies.filter((p) => p.status === "rejected");
    const diagnostics = foldProxyDiagnostics([...[...this.#proxies].map(([id, s]) => ({ proxy: id, diagnostics: s.diagnostics ?? [] })), ...(this.options.otherDiagnostics?.(file, config) ?? [])]);
    const outcome: ApplyOutcome = {
      configVersion: config?.configVersion,
      status: rejected.length > 0 ? "rejected" : "applied",
      ...(rejected.length > 0 && { reason: rejected.map((p) => `proxy ${p.proxy} refused: ${p.reason ?? "no reason given"}`).join("; ").slice(0, 4000) }),
      proxies,
      ...(diagnostics.length > 0 && { diagnostics }),
    };
    this.#last = outcome;
    if (rejected.length > 0) logger.warn("config rejected by proxies; they keep their previous config", { configVersion: outcome.configVersion, reason: outcome.reason });
    else logger.debug("config applied", { configVersion: outcome.configVersion, proxies: proxies.length });
    return outcome;
  }

  #compile(id: string, compile: () => CompileResult, state: ProxyState): { config?: ProxyConfig } {
    this.counters.compiles++;
    try {
      const began = performance.now();
      const { config, diagnostics } = compile();
      this.options.metrics?.compiled((performance.now() - began) / 1000);
      state.diagnostics = diagnostics;
      const errors = diagnostics.filter((d) => d.severity === "error");
      if (errors.length > 0) this.options.logger.warn("compile diagnostics", { proxy: id, errors: errors.map((d) => `${d.resource ?? ""} ${d.path}: ${d.message}`.trim()) });
      return { config };
    } catch (err) {
      // Nothing compiled: the proxy keeps what it runs, and the manager hears why.
      state.diagnostics = [];
      state.outcome = { proxy: id, status: "rejected", reason: `cannot compile: ${errorMessage(err)}` };
      this.counters.rejections++;
      return {};
    }
  }

  /** A proxy just started on `config` (its file): applied once its admin listener reports that version. */
  async #awaitStart(id: string, state: ProxyState, config: ProxyConfig): Promise<ProxyOutcome> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      const version = await this.options.admin.activeVersion(state.instance.proxy.adminPort).catch(() => undefined);
      if (version === config.version) {
        state.active = version;
        return { proxy: id, status: "applied", version };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const logs = this.options.supervisor.status().find((p) => p.id === id)?.recentLogs.at(-1);
    this.counters.rejections++;
    state.unreachable = true;
    return { proxy: id, status: "rejected", version: config.version, reason: `the proxy did not come up on ${config.version}${logs ? `: ${logs}` : ""}` };
  }

  /** PUT /config over the version the proxy is known to run; a failed precondition (it restarted, someone else pushed) re-reads and retries once. */
  async #push(id: string, state: ProxyState, config: ProxyConfig): Promise<ProxyOutcome> {
    const { admin, supervisor, logger } = this.options;
    const port = state.instance.proxy.adminPort;
    if (state.active === config.version) {
      this.counters.pushSkips++;
      return { proxy: id, status: "applied", version: config.version };
    }
    this.counters.pushes++;
    let result = await admin.put(port, config, state.active);
    // A proxy being restarted by the supervisor is unreachable for a moment.
    for (let i = 0; !result.ok && result.status === 0 && i < 25; i++) {
      await new Promise((r) => setTimeout(r, 200));
      result = await admin.put(port, config, state.active);
    }
    if (!result.ok && result.precondition) {
      state.active = result.activeVersion ?? undefined;
      if (state.active === config.version) return { proxy: id, status: "applied", version: config.version };
      result = await admin.put(port, config, state.active);
    }
    if (result.ok) {
      state.active = result.version;
      await supervisor.persist(id, config);
      logger.info("proxy config applied", { proxy: id, version: result.version });
      return { proxy: id, status: "applied", version: result.version };
    }
    this.counters.rejections++;
    // Nobody answered (status 0): the proxy may be starting or restarting; try again shortly.
    if (!result.ok && result.status === 0) state.unreachable = true;
    return { proxy: id, status: "rejected", version: config.version, reason: result.reason };
  }
}
