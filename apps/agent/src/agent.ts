// Composes the agent: discovery → catalog → reporter, proxy supervision
// (universal) or the injection webhook (Kubernetes), and the admin endpoint.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { ProxyConfigInput } from "@weft/mesh-model/proxy-config";
import { AdminServer } from "./admin/admin-server.ts";
import type { AgentConfig } from "./config.ts";
import { Catalog } from "./discovery/catalog.ts";
import { DiscoverySync } from "./discovery/discovery-sync.ts";
import type { DiscoveryProvider } from "./discovery/provider.ts";
import { KubernetesProvider } from "./kubernetes/kube-provider.ts";
import type { Logger } from "./logger.ts";
import { ProxySupervisor } from "./supervision/proxy-supervisor.ts";
import type { BackoffPolicy } from "./supervision/restart-backoff.ts";
import { universalProxyConfig } from "./supervision/universal-proxy-config.ts";
import { UnreportedDiscovery } from "./sync/in-memory-manager.ts";
import type { DiscoveryReporter } from "./sync/manager-seams.ts";
import { localInstances } from "./universal/universal-catalog.ts";
import { UniversalFileProvider } from "./universal/universal-provider.ts";
import { WebhookServer } from "./webhook/webhook-server.ts";

export interface AgentDeps {
  logger: Logger;
  /** Where discovery goes; until the manager's sync API exists, nowhere (and the agent says so). */
  reporter?: DiscoveryReporter;
  /** Kubernetes mode: the API to talk to; in-cluster or $KUBECONFIG when omitted. */
  kubeConfig?: KubeConfig;
  backoff?: Partial<BackoffPolicy>;
  /** Debounce of the universal file watcher. */
  fileDebounceMs?: number;
}

export interface RunningAgent {
  adminPort: number;
  webhookPort?: number;
  catalog: Catalog;
  stop(): Promise<void>;
}

/** The workspace's weft-proxy launcher. */
export function defaultProxyBin(): string {
  // createRequire rather than import.meta.resolve: the latter is missing under vitest.
  return join(dirname(createRequire(import.meta.url).resolve("@weft/proxy")), "../bin/weft-proxy.js");
}

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const { logger } = deps;
  const catalog = new Catalog();
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };

  try {
    const reporter =
      deps.reporter ??
      new UnreportedDiscovery((msg) => logger.warn(msg, { manager: config.manager, hint: "the manager sync API arrives with the manager side of issue 5; discovery is still visible on GET /status" }));
    const sync = new DiscoverySync(catalog, reporter, { fullResyncMs: config.fullResyncSeconds * 1000, retryMs: 5000, logger });

    let provider: DiscoveryProvider;
    let supervisor: ProxySupervisor | undefined;
    let webhook: WebhookServer | undefined;

    if (config.mode === "universal") {
      const universal = new UniversalFileProvider(config.universalFile, { logger, debounceMs: deps.fileDebounceMs ?? 100 });
      const proxyBin = resolve(config.proxyBin ?? defaultProxyBin());
      supervisor = new ProxySupervisor({ configDir: resolve(config.stateDir, "proxies"), proxyBin, logger, ...(deps.backoff && { backoff: deps.backoff }) });
      const sup = supervisor;
      universal.onFile((file) => {
        const desired = new Map<string, ProxyConfigInput>(localInstances(file).map((inst) => [inst.id, universalProxyConfig(inst, file, config.cluster)]));
        void sup.sync(desired);
      });
      stops.push(() => sup.stop());
      provider = universal;
    } else {
      const kubeConfig = deps.kubeConfig ?? new KubeConfig();
      if (!deps.kubeConfig) kubeConfig.loadFromDefault();
      const kube = new KubernetesProvider({ kubeConfig, logger });
      provider = kube;
      if (config.webhookCertFile && config.webhookKeyFile) {
        const [cert, key] = await Promise.all([readFile(config.webhookCertFile), readFile(config.webhookKeyFile)]);
        webhook = await WebhookServer.start({
          cert,
          key,
          port: config.webhookPort,
          settings: { image: config.proxyImage, ...(config.cluster && { cluster: config.cluster }) },
          isMeshNamespace: (ns) => kube.isMeshNamespace(ns),
          logger,
        });
        const hook = webhook;
        stops.push(() => hook.close());
        logger.info("injection webhook listening", { port: webhook.port });
      } else if (config.webhookCertFile || config.webhookKeyFile) {
        throw new Error("--webhook-cert and --webhook-key go together: set both to serve the injection webhook");
      } else {
        logger.warn("injection webhook disabled: set --webhook-cert and --webhook-key to serve it");
      }
    }

    await provider.start((snapshot) => catalog.replace(snapshot));
    stops.push(() => provider.stop());
    await sync.start();
    stops.push(() => sync.stop());

    const startedAt = new Date().toISOString();
    const admin = await AdminServer.start({
      port: config.adminPort,
      ready: () => provider.status().synced,
      status: () => ({
        agent: { mode: config.mode, cluster: config.cluster ?? null, startedAt, pid: process.pid },
        manager: { url: config.manager, discoveryReported: deps.reporter !== undefined, sync: sync.status },
        discovery: { ...provider.status(), revision: catalog.revision, ...catalog.counts() },
        proxies: supervisor?.status() ?? [],
        ...(webhook && { webhook: { port: webhook.port } }),
      }),
    });
    stops.push(() => admin.close());
    logger.info("agent running", { mode: config.mode, adminPort: admin.port });
    return { adminPort: admin.port, ...(webhook && { webhookPort: webhook.port }), catalog, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
