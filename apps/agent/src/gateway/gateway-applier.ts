// Runs this cluster's east-west gateway (universal mode): compiles its config
// from the local catalog, starts it under its own supervisor, and pushes a new
// config over its admin port whenever the routes change. The gateway needs
// neither the manager's config nor an identity (it never terminates TLS), so
// it keeps routing when the manager is away.
import { isExported, meshMultiCluster, type ClusterConfig } from "@weft/mesh-model";
import { createHash } from "node:crypto";
import { compileGatewayConfig, type CompileDiagnostic } from "@weft/mesh-model/compiler";
import type { ProxyConfig } from "@weft/mesh-model/proxy-config";
import { errorMessage, type Logger } from "../logger.ts";
import type { ProxySupervisor } from "../supervision/proxy-supervisor.ts";
import { canonicalJson } from "../discovery/catalog.ts";
import type { ProxyAdminClient } from "../supervision/proxy-admin-client.ts";
import { withProxyReadiness, type ProxyReadiness } from "../universal/universal-catalog.ts";
import type { UniversalFile } from "../universal/universal-file.schema.ts";
import { GATEWAY_PROXY_ID, gatewayCompileInput, gatewayPolicyEntries } from "./gateway-inputs.ts";

export interface GatewayApplierOptions {
  cluster: string;
  /** A supervisor of its own: the instance proxies' supervisor stops whatever its desired set does not name. */
  supervisor: ProxySupervisor;
  admin: ProxyAdminClient;
  logger: Logger;
  /** How long a newly started gateway may take to come up on its config. */
  startTimeoutMs?: number;
  /** Readiness of the instances' proxies: the gateway hands callers only to ready ones (call readinessChanged when it changes). Omitted, the file's `ready` alone decides. */
  proxyReady?: ProxyReadiness;
}

/** What the gateway runs, for /status. */
export interface GatewayStatus {
  state: "absent" | "applied" | "rejected";
  version?: string;
  reason?: string;
  routes?: number;
}

/**
 * After a rejection, the same file is applied again this much later: a gateway
 * that came up after the start timeout (a loaded machine) is then found
 * running and reported applied, instead of staying "rejected" until the next
 * change of the file.
 */
const RETRY_MS = 2_000;

export class GatewayApplier {
  #queue: Promise<unknown> = Promise.resolve();
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;
  #latest: UniversalFile | undefined;
  #hash: string | undefined;
  #active: string | undefined;
  #adminPort: number | undefined;
  #clusterConfig: ClusterConfig | undefined;
  /** The last compilation, by input hash: the acknowledgement's diagnostics and the gateway itself use one compile. */
  #compiled: { hash: string; result: { config: ProxyConfig; diagnostics: CompileDiagnostic[] } | { error: unknown } } | undefined;
  status: GatewayStatus = { state: "absent" };

  constructor(private readonly options: GatewayApplierOptions) {}

  /** A new universal file. Serialized: each run works on the latest file handed in. */
  setFile(file: UniversalFile): Promise<GatewayStatus> {
    clearTimeout(this.#retry);
    this.#latest = file;
    const run = this.#queue.then(() => this.#apply(file));
    this.#queue = run.catch(() => undefined);
    void run.then((status) => {
      // Only the latest file is retried: a newer one is already queued otherwise.
      if (status.state === "rejected" && file === this.#latest && !this.#stopped) this.#retry = setTimeout(() => void this.setFile(file), RETRY_MS);
    }, () => undefined);
    return run;
  }

  /**
   * The manager's config: only services the Mesh exports get gateway routes,
   * and the TrafficPolicies' locality entries for this cluster apply to the
   * gateway's backends.
   */
  setClusterConfig(config: ClusterConfig | undefined): Promise<GatewayStatus> | undefined {
    this.#clusterConfig = config;
    return this.#latest ? this.setFile(this.#latest) : undefined;
  }

  /** The instances' proxies' readiness changed: the latest file is compiled again (a push only if the routes' endpoints changed). */
  readinessChanged(): Promise<GatewayStatus> | undefined {
    return this.#latest ? this.setFile(this.#latest) : undefined;
  }

  /**
   * The gateway's compile findings for this file and cluster config, as the
   * agent acknowledges them with its proxies' (ConfigAck.diagnostics, reported
   * by GATEWAY_PROXY_ID): what it does not route (a TCP port, a name too long
   * for a server name, …) and a config it cannot compile at all. Empty without
   * a gateway in the file.
   */
  diagnosticsFor(file: UniversalFile, clusterConfig: ClusterConfig | undefined): CompileDiagnostic[] {
    const compiled = this.#compile(file, clusterConfig);
    if (!compiled) return [];
    if ("error" in compiled.result) {
      return [{ severity: "error", code: "gateway_compile_failed", path: "gateway", message: `the east-west gateway's config cannot be compiled; it keeps its previous config: ${errorMessage(compiled.result.error)}` }];
    }
    return compiled.result.diagnostics;
  }

  #compile(file: UniversalFile, clusterConfig: ClusterConfig | undefined) {
    const multicluster = meshMultiCluster(clusterConfig?.resources ?? []);
    const input = gatewayCompileInput(withProxyReadiness(file, this.options.proxyReady), this.options.cluster, (namespace, name) => isExported(multicluster, namespace, name), gatewayPolicyEntries(clusterConfig));
    if (!input) return undefined;
    const hash = createHash("sha256").update(canonicalJson(input)).digest("hex");
    if (this.#compiled?.hash !== hash) {
      let result: { config: ProxyConfig; diagnostics: CompileDiagnostic[] } | { error: unknown };
      try {
        const { config, diagnostics } = compileGatewayConfig(input);
        result = { config, diagnostics: [...diagnostics] };
      } catch (error) {
        result = { error };
      }
      this.#compiled = { hash, result };
    }
    return { input, hash, result: this.#compiled.result };
  }

  async #apply(file: UniversalFile): Promise<GatewayStatus> {
    const { supervisor, logger } = this.options;
    const compiled = this.#compile(file, this.#clusterConfig);
    if (!compiled) {
      if (supervisor.has(GATEWAY_PROXY_ID)) logger.info("east-west gateway removed from the universal file; stopping it");
      await supervisor.sync(new Map());
      this.#hash = this.#active = this.#adminPort = undefined;
      return (this.status = { state: "absent" });
    }
    const { input, hash, result } = compiled;
    if (hash === this.#hash && this.status.state === "applied") return this.status;
    if ("error" in result) return (this.status = { state: "rejected", reason: `cannot compile: ${errorMessage(result.error)}` });
    const config = result.config;
    // Also acknowledged to the manager (diagnosticsFor, through the config applier); the log keeps them for the agent's operator.
    for (const d of result.diagnostics.filter((x) => x.severity !== "info")) logger.warn("gateway compile diagnostic", { code: d.code, message: d.message });
    const routes = config.listeners.reduce((n, l) => n + (l.kind === "gateway" ? l.routes.length : 0), 0);
    const adminPort = input.gateway.adminPort;
    // A new admin port means a new process: the old one cannot be told where to listen for its own admin.
    if (this.#adminPort !== undefined && this.#adminPort !== adminPort) {
      await supervisor.sync(new Map());
      this.#active = undefined;
    }
    this.#adminPort = adminPort;
    const outcome = supervisor.has(GATEWAY_PROXY_ID) ? await this.#push(adminPort, config) : await this.#start(adminPort, config);
    if (outcome.ok) this.#hash = hash;
    this.status = outcome.ok ? { state: "applied", version: config.version, routes } : { state: "rejected", version: config.version, reason: outcome.reason };
    if (outcome.ok) logger.info("east-west gateway config applied", { version: config.version, routes });
    else logger.warn("east-west gateway config rejected", { version: config.version, reason: outcome.reason });
    return this.status;
  }

  async #start(adminPort: number, config: ProxyConfig): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { supervisor, admin } = this.options;
    await supervisor.sync(new Map([[GATEWAY_PROXY_ID, config]]));
    // Adopted from a crashed agent: it runs what it accepted last, so the config is pushed.
    if (supervisor.takeAdopted(GATEWAY_PROXY_ID)) return this.#push(adminPort, config);
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      if ((await admin.activeVersion(adminPort).catch(() => undefined)) === config.version) {
        this.#active = config.version;
        return { ok: true };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const log = supervisor.status().find((p) => p.id === GATEWAY_PROXY_ID)?.recentLogs.at(-1);
    return { ok: false, reason: `the gateway did not come up on ${config.version}${log ? `: ${log}` : ""}` };
  }

  async #push(adminPort: number, config: ProxyConfig): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { supervisor, admin } = this.options;
    if (this.#active === config.version) return { ok: true };
    let result = await admin.put(adminPort, config, this.#active);
    // Restarting after a crash: unreachable for a moment; restarted: it runs its file's version, not ours.
    for (let i = 0; !result.ok && result.status === 0 && i < 25; i++) {
      await new Promise((r) => setTimeout(r, 200));
      result = await admin.put(adminPort, config, this.#active);
    }
    if (!result.ok && result.precondition) result = await admin.put(adminPort, config, result.activeVersion ?? undefined);
    if (!result.ok) return { ok: false, reason: result.reason };
    this.#active = result.version;
    await supervisor.persist(GATEWAY_PROXY_ID, config);
    return { ok: true };
  }

  /** Stops the gateway (agent shutdown). */
  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    return this.options.supervisor.stop();
  }
}
