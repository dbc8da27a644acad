// Composes the agent: joining, discovery → catalog → manager, config sync
// (stream → compile → push → ack, cached on disk), proxy supervision and
// telemetry (universal) or the injection webhook and the sidecar API that
// injected sidecars pull their config and SVIDs from (Kubernetes), and the
// admin endpoint.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { EdgeDelta, SpanReport } from "@weft/mesh-model";
import { AdminServer } from "./admin/admin-server.ts";
import type { AgentConfig } from "./config.ts";
import { readJsonFile, writeFileAtomically } from "./state-files.ts";
import { Catalog } from "./discovery/catalog.ts";
import { DiscoverySync } from "./discovery/discovery-sync.ts";
import { GatewayApplier } from "./gateway/gateway-applier.ts";
import { GATEWAY_PROXY_ID } from "./gateway/gateway-inputs.ts";
import { reportedGateway } from "./gateway/gateway-inputs.ts";
import type { DiscoveryProvider } from "./discovery/provider.ts";
import { httpIdentityProbe } from "./identity/http-identity-probe.ts";
import { IdentityController, type ManagerIdentityApi } from "./identity/identity-controller.ts";
import { IdentityFiles } from "./identity/identity-files.ts";
import { trpcIdentityApi } from "./identity/trpc-identity-api.ts";
import { KubernetesProvider } from "./kubernetes/kube-provider.ts";
import type { Logger } from "./logger.ts";
import { ProxySupervisor } from "./supervision/proxy-supervisor.ts";
import type { BackoffPolicy } from "./supervision/restart-backoff.ts";
import { AgentRequests, type LocalProxyView } from "./manager-link/agent-requests.ts";
import { ConfigApplier } from "./mesh-config/config-applier.ts";
import { ConfigCache } from "./mesh-config/config-cache.ts";
import { AGENT_VERSION, obtainCredentials } from "./manager-link/credentials.ts";
import { checkManagerUrl, createManagerClient } from "./manager-link/manager-client.ts";
import type { ConfigSource, DiscoveryReporter } from "./manager-link/manager-seams.ts";
import { ConfigSync, TrpcConfigSource, type ConfigSyncOptions } from "./manager-link/manager-sync.ts";
import { httpProxyAdmin, readProxyConfig, readProxyTap, type ProxyAdminClient } from "./supervision/proxy-admin-client.ts";
import { knownDestinations, namespaceAmong } from "./telemetry/destination-namespace.ts";
import { SpanCollector } from "./telemetry/span-collector.ts";
import { TelemetryShipper, type PendingTelemetry, type TelemetrySource } from "./telemetry/telemetry-shipper.ts";
import { TrpcDiscoveryReporter } from "./manager-link/trpc-reporter.ts";
import { UniversalFileProvider } from "./universal/universal-provider.ts";
import { localInstances } from "./universal/universal-catalog.ts";
import type { UniversalFile } from "./universal/universal-file.schema.ts";
import { WebhookServer } from "./webhook/webhook-server.ts";
import { SidecarConfigs } from "./sidecar/sidecar-configs.ts";
import { SidecarServer } from "./sidecar/sidecar-server.ts";
import { SidecarTelemetryIntake } from "./sidecar/sidecar-telemetry.ts";
import { KubeTokenReviewer, type TokenReviewer } from "./sidecar/token-review.ts";
import { AgentMetrics } from "./admin/agent-metrics.ts";
import type { SidecarLayout } from "./sidecar/sidecar-inputs.ts";

export interface AgentDeps {
  logger: Logger;
  /**
   * Where discovery goes. Given (tests of discovery and supervision), the
   * agent runs without a manager: no join, no stream, no telemetry, unless
   * `configSource` is given too. Omitted, it joins (or reuses its stored
   * credential) and talks to `config.manager`.
   */
  reporter?: DiscoveryReporter;
  configSource?: ConfigSource;
  /** Kubernetes mode: the API to talk to; in-cluster or $KUBECONFIG when omitted. */
  kubeConfig?: KubeConfig;
  backoff?: Partial<BackoffPolicy>;
  /** Debounce of the universal file watcher. */
  fileDebounceMs?: number;
  proxyAdmin?: ProxyAdminClient;
  /** The manager's identity procedures; the joined manager's (tRPC) when omitted. */
  identityManager?: ManagerIdentityApi;
  /** Kubernetes mode: how sidecar tokens are checked; TokenReviews against `kubeConfig` when omitted. */
  tokenReviewer?: TokenReviewer;
  /** Kubernetes mode: longest a sidecar's config poll is held (ms). */
  sidecarPollMs?: number;
  /** Kubernetes mode: the sidecars' ports (tests run them on free loopback ports). */
  sidecarLayout?: SidecarLayout;
  /** Where telemetry and spans are shipped; the joined manager (agent.reportTelemetry, agent.reportSpans) when omitted. */
  telemetrySink?: TelemetrySink;
}

/**
 * Proxies' readiness changes are applied (discovery, the local proxies' and
 * the gateway's configs) this long after the last one: proxies started
 * together become ready within moments of each other, and each change
 * recompiles every local proxy's config.
 */
const READINESS_COALESCE_MS = 200;

/** The manager's telemetry procedures, as the shipper calls them. */
export interface TelemetrySink {
  reportTelemetry(input: { seq: number; edges: EdgeDelta[] }): Promise<unknown>;
  reportSpans(report: SpanReport): Promise<{ stored: number; duplicates: number } | void>;
}

export interface RunningAgent {
  adminPort: number;
  webhookPort?: number;
  sidecarApiPort?: number;
  catalog: Catalog;
  /** The cluster this agent serves. */
  cluster: string;
  stop(): Promise<void>;
}

/** Config sync from the manager's stream (heartbeating when joined), stopped with the agent. */
async function startConfigSync(options: Omit<ConfigSyncOptions, "cache"> & { stateDir: string }, stops: (() => Promise<void>)[]): Promise<ConfigSync> {
  const { stateDir, ...rest } = options;
  const configSync = new ConfigSync({ ...rest, cache: new ConfigCache(stateDir) });
  await configSync.start();
  stops.push(() => configSync.stop());
  return configSync;
}

/**
 * Ships telemetry and spans to the sink every interval. Stopping collects
 * once more (after the sidecar API has closed, as stops run in reverse), so
 * the last interval's requests and pushes are not lost.
 */
/** The last telemetry report number this agent used (`<stateDir>/telemetry-seq.json`), and how to record the next. */
async function telemetrySeqStore(stateDir: string): Promise<{ last: number | undefined; save(seq: number): Promise<void> }> {
  const path = resolve(stateDir, "telemetry-seq.json");
  const stored = (await readJsonFile(path).catch(() => undefined)) as { seq?: unknown } | undefined;
  const last = typeof stored?.seq === "number" && Number.isSafeInteger(stored.seq) ? stored.seq : undefined;
  return { last, save: (seq) => writeFileAtomically(path, `${JSON.stringify({ seq })}\n`) };
}

/** Telemetry collected and not yet acknowledged (`<stateDir>/telemetry-pending.json`): what the previous run left, and how to record it. */
async function telemetryPendingStore(stateDir: string): Promise<{ last: PendingTelemetry | undefined; save(pending: PendingTelemetry): Promise<void> }> {
  const path = resolve(stateDir, "telemetry-pending.json");
  const stored = (await readJsonFile(path).catch(() => undefined)) as Partial<PendingTelemetry> | undefined;
  const valid = stored && Array.isArray(stored.buffered) && (stored.inFlight === undefined || (Number.isSafeInteger(stored.inFlight.seq) && Array.isArray(stored.inFlight.edges)));
  return { last: valid ? (stored as PendingTelemetry) : undefined, save: (pending) => writeFileAtomically(path, JSON.stringify(pending)) };
}

async function startTelemetryShipper(
  options: { cluster: string; admin: ProxyAdminClient; logger: Logger; intervalMs: number; sink: TelemetrySink; sources: () => TelemetrySource[]; namespaceOf: (service: string, callerNamespace: string) => string; stateDir: string },
  stops: (() => Promise<void>)[],
): Promise<{ shipper: TelemetryShipper; spans: SpanCollector }> {
  const { cluster, admin, logger, intervalMs, sink, sources, namespaceOf, stateDir } = options;
  const spans = new SpanCollector({ admin, logger, namespaceOf, send: (report) => sink.reportSpans(report) });
  const seqStore = await telemetrySeqStore(stateDir);
  const pendingStore = await telemetryPendingStore(stateDir);
  const shipper = new TelemetryShipper({ cluster, admin, logger, intervalMs, sources, namespaceOf, send: async (edges, seq) => void (await sink.reportTelemetry({ seq, edges })), spans, seqStore, pendingStore });
  shipper.start();
  stops.push(async () => {
    await shipper.stop();
    await shipper.tick().catch(() => undefined);
  });
  return { shipper, spans };
}

/** Every local proxy as weft proxy-status shows it: the supervisor's state, the config the proxy runs, its last refusal or exit. */
function localProxyViews(app: ConfigApplier, supervisor: ProxySupervisor): LocalProxyView[] {
  const states = new Map(supervisor.status().map((s) => [s.id, s]));
  return app.proxies.map((p) => {
    const s = states.get(p.id);
    const refusal = p.outcome?.status === "rejected" ? (p.outcome.reason ?? "refused") : null;
    const exit = s?.lastExit ? `exited with ${s.lastExit.signal ?? `code ${s.lastExit.code}`} at ${s.lastExit.at}` : null;
    return {
      id: p.id,
      adminPort: p.instance.proxy.adminPort,
      namespace: p.instance.namespace,
      status: {
        proxy: p.id,
        service: p.instance.service,
        version: p.instance.version ?? "",
        state: s?.state ?? "stopped",
        activeVersion: p.active ?? null,
        meshConfigVersion: app.clusterConfig?.configVersion ?? null,
        sync: p.outcome?.status === "rejected" ? "rejected" : p.outcome?.status === "applied" && p.active === p.outcome.version ? "synced" : "pending",
        restarts: s?.restarts ?? 0,
        lastError: (refusal ?? exit)?.slice(0, 2000) ?? null,
      },
    };
  });
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
    // Joining: the stored credential, or a fresh one for the join token.
    let reporter: DiscoveryReporter;
    let source: ConfigSource | undefined = deps.configSource;
    let cluster = config.cluster ?? "local";
    let manager: ReturnType<typeof createManagerClient> | undefined;
    // The latest universal file: discovery reports name its east-west gateway.
    let latestFile: UniversalFile | undefined;
    if (deps.reporter) {
      reporter = deps.reporter;
    } else {
      const url = checkManagerUrl(config.manager);
      const trust = { caPem: config.managerCaFile ? await readFile(config.managerCaFile, "utf8") : undefined, pin: config.managerPin };
      const credentials = await obtainCredentials({ manager: url, stateDir: config.stateDir, joinToken: config.joinToken, cluster: config.cluster, logger, trust });
      cluster = credentials.cluster;
      manager = createManagerClient(url, credentials.credential, trust);
      reporter = new TrpcDiscoveryReporter(manager, () => reportedGateway(latestFile));
      source = new TrpcConfigSource(manager, logger);
    }
    const joined = manager;
    // agentTime lets the manager measure this host's clock skew (weft check reports it).
    const heartbeat = joined && (async () => void (await joined.agent.heartbeat.mutate({ agentVersion: AGENT_VERSION, agentTime: new Date() })));
    const sync = new DiscoverySync(catalog, reporter, { fullResyncMs: config.fullResyncSeconds * 1000, retryMs: 5000, logger });

    let provider: DiscoveryProvider;
    let supervisor: ProxySupervisor | undefined;
    let webhook: WebhookServer | undefined;
    let applier: ConfigApplier | undefined;
    let configSync: ConfigSync | undefined;
    let telemetry: TelemetryShipper | undefined;
    let identity: IdentityController | undefined;
    let gateway: GatewayApplier | undefined;
    // Read at scrape time: whatever of the agent exists by then (the universal and Kubernetes modes differ).
    const metrics = new AgentMetrics({
      config: () => configSync?.status,
      streamConnected: () => (source instanceof TrpcConfigSource ? source.state === "connected" : undefined),
      apply: () => applier?.counters,
      proxies: () => supervisor?.status() ?? [],
      telemetry: () => telemetry?.status,
    });
    let sidecars: SidecarConfigs | undefined;
    let sidecarApi: SidecarServer | undefined;
    const admin = deps.proxyAdmin ?? httpProxyAdmin;
    const sink: TelemetrySink | undefined =
      deps.telemetrySink ?? (manager && { reportTelemetry: (input) => manager.agent.reportTelemetry.mutate(input), reportSpans: (report) => manager.agent.reportSpans.mutate(report) });
    let intake: SidecarTelemetryIntake | undefined;
    // Universal mode: waited for before the first discovery report (proxies a previous agent left running are adopted by then).
    let beforeFirstReport: (() => Promise<void>) | undefined;

    if (config.mode === "universal") {
      const proxyBin = resolve(config.proxyBin ?? defaultProxyBin());
      // An instance with a proxy is ready (to discovery, to the local proxies and the gateway) only while its proxy is:
      // as Kubernetes counts a sidecar's readiness probe in its pod's. Changes are coalesced, then applied everywhere.
      let readinessTimer: NodeJS.Timeout | undefined;
      const readinessChanged = () => {
        clearTimeout(readinessTimer);
        readinessTimer = setTimeout(() => {
          universal.readinessChanged();
          void app.reconcile().then((outcome) => configSync?.outcome(outcome));
          void gateway?.readinessChanged();
        }, READINESS_COALESCE_MS);
        readinessTimer.unref();
      };
      supervisor = new ProxySupervisor({
        configDir: resolve(config.stateDir, "proxies"),
        proxyBin,
        logger,
        ...(deps.backoff && { backoff: deps.backoff }),
        onReadyChange: readinessChanged,
      });
      const sup = supervisor;
      const proxyReady = (id: string) => sup.isReady(id);
      stops.push(async () => clearTimeout(readinessTimer));
      stops.push(() => sup.stop());
      const universal = new UniversalFileProvider(config.universalFile, { logger, debounceMs: deps.fileDebounceMs ?? 100, proxyReady });
      // Workload identities: the cluster intermediate and the SVIDs, handed to the proxies as files they watch.
      const ids = new IdentityController({
        cluster,
        files: new IdentityFiles(config.stateDir),
        manager: deps.identityManager ?? (manager && trpcIdentityApi(manager)),
        probe: httpIdentityProbe,
        logger,
        svidTtlMs: (config.svidTtlSeconds ?? 86_400) * 1000,
        // Proxies start naming their SVID files once those exist (and stop when the mesh has no CA).
        onReadyChange: () => void app.reconcile().then((outcome) => configSync?.outcome(outcome)),
      });
      identity = ids;
      await ids.start();
      stops.push(async () => ids.stop());
      const app = new ConfigApplier({
        cluster,
        supervisor: sup,
        admin,
        logger,
        identity: ids,
        metrics,
        onClusterConfig: (c) => void gateway?.setClusterConfig(c),
        onRetryOutcome: (outcome) => configSync?.outcome(outcome),
        // The east-west gateway's findings are acknowledged with the proxies' (it compiles from the same file and config).
        otherDiagnostics: (file, config) => (gateway ? [{ proxy: GATEWAY_PROXY_ID, diagnostics: gateway.diagnosticsFor(file, config) }] : []),
        proxyReady,
      });
      stops.push(async () => app.close());
      applier = app;
      // Before the file is read: with a cached config, the proxies start on it rather than on a local-only one.
      if (source) configSync = await startConfigSync({ source, applier: app, stateDir: config.stateDir, cluster, logger, ...(heartbeat && { heartbeat }) }, stops);
      // The east-west gateway has a supervisor of its own (the instances' one stops whatever is not an instance).
      const gw = new GatewayApplier({
        cluster,
        supervisor: new ProxySupervisor({ configDir: resolve(config.stateDir, "gateway"), proxyBin, logger, ...(deps.backoff && { backoff: deps.backoff }) }),
        admin,
        logger,
        proxyReady,
      });
      gateway = gw;
      // A cached config was handed to the applier before the gateway existed.
      void gw.setClusterConfig(app.clusterConfig);
      stops.push(() => gw.stop());
      universal.onFile((file) => {
        const gatewayMoved = JSON.stringify(reportedGateway(latestFile)) !== JSON.stringify(reportedGateway(file));
        const first = latestFile === undefined;
        latestFile = file;
        // A gateway change alone changes no service: tell the manager with a full report.
        if (gatewayMoved && !first) void sync.resync().catch(() => undefined);
        void app.setFile(file).then((outcome) => configSync?.outcome(outcome));
        void gw.setFile(file);
      });
      provider = universal;
      // After an agent restart the proxies still serve: adopted (and probed) before the first report, they are not reported not ready meanwhile.
      beforeFirstReport = async () => {
        const file = universal.current;
        if (!file) return;
        await sup.adoptRunning(new Map(localInstances(file).map((inst) => [inst.id, { address: "127.0.0.1", port: inst.proxy.adminPort }])));
        universal.readinessChanged();
      };
      if (sink) {
        const namespaceOf = (service: string, callerNamespace: string): string =>
          namespaceAmong(service, callerNamespace, knownDestinations(app.file?.services ?? [], app.clusterConfig));
        const sources = () =>
          app.proxies.map((p) => ({ id: p.id, adminPort: p.instance.proxy.adminPort, service: p.instance.service, namespace: p.instance.namespace, version: p.instance.version }));
        telemetry = (await startTelemetryShipper({ cluster, admin, logger, intervalMs: config.telemetryIntervalSeconds * 1000, sink, sources, namespaceOf, stateDir: config.stateDir }, stops)).shipper;
      }
      // weft proxy-status, proxy-config and tap: the manager's questions and open taps, polled.
      if (manager) {
        const link = manager;
        const requests = new AgentRequests({
          manager: { pending: () => link.agent.pending.query(), answer: (a) => link.agent.answerQuery.mutate(a), reportTap: (r) => link.agent.reportTap.mutate(r) },
          proxies: () => localProxyViews(app, sup),
          admin: { tap: readProxyTap, config: readProxyConfig },
          logger,
        });
        requests.start();
        stops.push(async () => requests.stop());
      }
    } else {
      const kubeConfig = deps.kubeConfig ?? new KubeConfig();
      if (!deps.kubeConfig) kubeConfig.loadFromDefault();
      const kube = new KubernetesProvider({ kubeConfig, logger });
      provider = kube;
      const tls = config.webhookCertFile && config.webhookKeyFile ? await Promise.all([readFile(config.webhookCertFile), readFile(config.webhookKeyFile)]) : undefined;
      const sidecarApiUrl = config.sidecarApiUrl ?? "https://weft-agent.weft-system.svc:15012";
      const caPem = config.sidecarApiCaFile ? await readFile(config.sidecarApiCaFile, "utf8") : undefined;
      if (tls) {
        // Sidecars pull their config and SVIDs from here (served with the webhook's certificate).
        const pod = (namespace: string, name: string) => kube.pod(namespace, name);
        const ids = new IdentityController({
          cluster,
          files: new IdentityFiles(config.stateDir),
          manager: deps.identityManager ?? (manager && trpcIdentityApi(manager)),
          // Sidecars keep their SVIDs themselves: the agent holds no local identities and probes no proxy;
          // a bundle is acknowledged once every sidecar reports it runs it.
          probe: async () => null,
          census: (fingerprint) => sidecars?.bundleCensus(fingerprint) ?? { total: 0, current: 0 },
          logger,
          svidTtlMs: (config.svidTtlSeconds ?? 86_400) * 1000,
          onReadyChange: () => sidecars?.changed(),
        });
        identity = ids;
        await ids.start();
        stops.push(async () => ids.stop());
        const configs = new SidecarConfigs({
          cluster,
          logger,
          pod,
          service: (namespace, name) => kube.service(namespace, name),
          pods: () => kube.pods(),
          onClusterConfig: (c) => ids.update({ trustDomain: c.mesh.trustDomain, trust: c.trust, identities: [], proxies: [] }),
          onOutcome: (outcome) => configSync?.outcome(outcome),
          ...(deps.sidecarLayout && { layout: deps.sidecarLayout }),
        });
        sidecars = configs;
        // Every intermediate change (issued, renewed) may change what sidecars should renew to.
        let lastIssuer = ids.issuerFingerprint;
        const issuerWatch = setInterval(() => {
          if (ids.issuerFingerprint !== lastIssuer) {
            lastIssuer = ids.issuerFingerprint;
            configs.changed();
          }
        }, 1000);
        stops.push(async () => clearInterval(issuerWatch));
        if (source) configSync = await startConfigSync({ source, applier: configs, stateDir: config.stateDir, cluster, logger, ...(heartbeat && { heartbeat }) }, stops);
        if (sink) {
          // Sidecars push their telemetry and spans (the agent cannot reach their loopback admin ports); shipped as universal mode's are.
          const namespaceOf = (service: string, callerNamespace: string): string =>
            namespaceAmong(service, callerNamespace, knownDestinations(catalog.snapshot.services, configs.clusterConfig));
          const { shipper, spans } = await startTelemetryShipper({ cluster, admin, logger, intervalMs: config.telemetryIntervalSeconds * 1000, sink, sources: () => [], namespaceOf, stateDir: config.stateDir }, stops);
          telemetry = shipper;
          intake = new SidecarTelemetryIntake({ shipper, spans, pod });
        }
        sidecarApi = await SidecarServer.start({
          cert: tls[0],
          key: tls[1],
          port: config.sidecarApiPort ?? 15012,
          configs,
          reviewer: deps.tokenReviewer ?? new KubeTokenReviewer(kubeConfig),
          issuer: ids,
          pod,
          ...(intake && { telemetry: intake }),
          logger,
          ...(deps.sidecarPollMs !== undefined && { maxWaitMs: deps.sidecarPollMs }),
        });
        const server = sidecarApi;
        stops.push(() => server.close());
        logger.info("sidecar API listening", { port: server.port, url: sidecarApiUrl });
      } else if (heartbeat) {
        const beat = setInterval(() => void heartbeat().catch(() => undefined), 15_000);
        stops.push(async () => clearInterval(beat));
        logger.warn("kubernetes mode without --webhook-cert/--webhook-key: no sidecar API, so sidecars run their bootstrap config; discovery and heartbeats are reported");
      }
      if (tls) {
        const [cert, key] = tls;
        webhook = await WebhookServer.start({
          cert,
          key,
          port: config.webhookPort,
          settings: { image: config.proxyImage, cluster, sidecarApi: { url: sidecarApiUrl, ...(caPem !== undefined && { caPem }) } },
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

    if (sidecars) {
      const configs = sidecars;
      const unsubscribeCatalog = catalog.subscribe((snapshot) => configs.setCatalog(snapshot));
      stops.push(async () => unsubscribeCatalog());
    }
    await provider.start((snapshot) => catalog.replace(snapshot));
    stops.push(() => provider.stop());
    await beforeFirstReport?.();
    await sync.start();
    stops.push(() => sync.stop());

    const startedAt = new Date().toISOString();
    const adminServer = await AdminServer.start({
      port: config.adminPort,
      metrics: () => metrics.exposition(),
      ready: () => provider.status().synced,
      status: () => ({
        agent: { mode: config.mode, cluster, version: AGENT_VERSION, startedAt, pid: process.pid },
        manager: {
          url: config.manager,
          discoveryReported: true,
          sync: sync.status,
          ...(source instanceof TrpcConfigSource && { stream: { state: source.state, reconnects: source.reconnects, lastError: source.lastError ?? null } }),
          ...(configSync && { config: configSync.status }),
          ...(applier && { apply: { ...applier.counters, last: applier.lastOutcome ?? null } }),
          ...(telemetry && { telemetry: telemetry.status }),
        },
        discovery: { ...provider.status(), revision: catalog.revision, ...catalog.counts() },
        proxies: (supervisor?.status() ?? []).map((p) => ({ ...p, activeVersion: applier?.proxies.find((q) => q.id === p.id)?.active ?? null })),
        ...(identity && { identity: identity.status }),
        ...(gateway && { gateway: gateway.status }),
        ...(webhook && { webhook: { port: webhook.port } }),
        ...(sidecarApi && sidecars && { sidecarApi: { port: sidecarApi.port, sidecars: sidecars.status, counters: sidecars.counters, ...(intake && { pushes: intake.status }) } }),
      }),
    });
    stops.push(() => adminServer.close());
    logger.info("agent running", { mode: config.mode, cluster, adminPort: adminServer.port });
    return { adminPort: adminServer.port, ...(webhook && { webhookPort: webhook.port }), ...(sidecarApi && { sidecarApiPort: sidecarApi.port }), catalog, cluster, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
