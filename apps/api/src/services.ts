import type { Database } from "@weft/db";
import { AuditRepository } from "./features/audit/audit.repository.ts";
import { AuditService, DEFAULT_AUDIT_SETTINGS, type AuditSettings } from "./features/audit/audit.service.ts";
import { AuthorizationService } from "./features/authorization/authorization.service.ts";
import { CallerObservationsRepository } from "./features/authorization/caller-observations.repository.ts";
import { EgressObservationsRepository } from "./features/sidecars/egress-observations.repository.ts";
import { SidecarsService } from "./features/sidecars/sidecars.service.ts";
import { AuthRepository } from "./features/auth/auth.repository.ts";
import { AuthService, type AuthSettings } from "./features/auth/auth.service.ts";
import { DEFAULT_LOGIN_POLICY } from "./features/auth/login-throttle.ts";
import { LoginThrottleRepository } from "./features/auth/login-throttle.repository.ts";
import { OidcRepository } from "./features/auth/oidc.repository.ts";
import { OidcService, type OidcSettings } from "./features/auth/oidc.service.ts";
import { PRODUCTION_SCRYPT_COST } from "./features/auth/password-hash.ts";
import { ConfigSyncService } from "./features/agent/config-sync.service.ts";
import { ControlPlaneMetrics } from "./features/control-plane/control-plane-metrics.ts";
import { ClustersRepository } from "./features/clusters/clusters.repository.ts";
import { ClustersService, DEFAULT_CLUSTERS_SETTINGS, type ClustersSettings } from "./features/clusters/clusters.service.ts";
import { DiagnosticsService } from "./features/diagnostics/diagnostics.service.ts";
import { DiscoveryRepository } from "./features/discovery/discovery.repository.ts";
import { DiscoveryService } from "./features/discovery/discovery.service.ts";
import { ConfigBus } from "./features/distribution/config-bus.ts";
import { DistributionRepository } from "./features/distribution/distribution.repository.ts";
import { DEFAULT_DISTRIBUTION_SETTINGS, DistributionService, type DistributionSettings } from "./features/distribution/distribution.service.ts";
import { IdentityRepository } from "./features/identity/identity.repository.ts";
import { IdentityService, type IdentitySettings } from "./features/identity/identity.service.ts";
import { DEFAULT_ROTATION_TICK_MS, RotationController } from "./features/identity/rotation.controller.ts";
import { RotationService } from "./features/identity/rotation.service.ts";
import { TelemetryRepository } from "./features/telemetry/telemetry.repository.ts";
import { DEFAULT_TELEMETRY_SETTINGS, TelemetryService, type TelemetrySettings } from "./features/telemetry/telemetry.service.ts";
import { SpansRepository } from "./features/telemetry/spans.repository.ts";
import { DEFAULT_SPAN_SETTINGS, SpansService, type SpanSettings } from "./features/telemetry/spans.service.ts";
import { FailureCausesRepository } from "./features/telemetry/failure-causes.repository.ts";
import { FailureCausesService } from "./features/telemetry/failure-causes.service.ts";
import { ReplayMarkersRepository } from "./features/telemetry/replay-markers.repository.ts";
import { TopologyReplayService } from "./features/telemetry/topology-replay.service.ts";
import { TopologyExportsRepository } from "./features/telemetry/topology-exports.repository.ts";
import { TopologyExportsService } from "./features/telemetry/topology-exports.service.ts";
import { ChangeRequestsRepository } from "./features/change-requests/change-requests.repository.ts";
import { ChangeRequestsService } from "./features/change-requests/change-requests.service.ts";
import { MeshRepository } from "./features/mesh/mesh.repository.ts";
import { MeshService } from "./features/mesh/mesh.service.ts";
import type { MetricSource } from "./features/metrics/metric-source.ts";
import { MetricsRepository } from "./features/metrics/metrics.repository.ts";
import { DEFAULT_DOWNSAMPLING_SETTINGS, RollupDownsampler, type DownsamplingSettings } from "./features/metrics/rollup-downsampler.ts";
import { PrometheusMetricSource, type PrometheusSourceOptions } from "./features/metrics/prometheus-metric-source.ts";
import { RollupMetricSource } from "./features/metrics/rollup-metric-source.ts";
import { DEFAULT_DELIVERY_SETTINGS, DeliveryController, type DeliverySettings } from "./features/notifications/delivery.controller.ts";
import type { Notifier } from "./features/notifications/notifier.ts";
import { NotificationsRepository } from "./features/notifications/notifications.repository.ts";
import { NotificationsService } from "./features/notifications/notifications.service.ts";
import type { ErrorBudgetGate } from "./features/slo/error-budget-gate.ts";
import { DEFAULT_SLO_TICK_MS, SloController } from "./features/slo/slo.controller.ts";
import { SloRepository } from "./features/slo/slo.repository.ts";
import { DEFAULT_ROLLOUT_TICK_MS, RolloutController } from "./features/rollouts/rollout.controller.ts";
import { RolloutRunWriter } from "./features/rollouts/rollout-run-writer.ts";
import { RolloutsRepository } from "./features/rollouts/rollouts.repository.ts";
import { RolloutsService } from "./features/rollouts/rollouts.service.ts";
import { SloService } from "./features/slo/slo.service.ts";
import { ACTIVE_ROLLOUT_LOOKUP, TicketContextBuilder } from "./features/tickets/ticket-context.ts";
import { TicketsRepository } from "./features/tickets/tickets.repository.ts";
import { TicketsService } from "./features/tickets/tickets.service.ts";
import { DocumentCache } from "./features/resources/document-cache.ts";
import { ResourcesRepository } from "./features/resources/resources.repository.ts";
import { ResourcesService } from "./features/resources/resources.service.ts";
import { TokensRepository } from "./features/tokens/tokens.repository.ts";
import { TokensService } from "./features/tokens/tokens.service.ts";
import { UsersRepository } from "./features/users/users.repository.ts";
import { AgentQueriesRepository } from "./features/proxies/agent-queries.repository.ts";
import { DEFAULT_PROXIES_SETTINGS, ProxiesService, type ProxiesSettings } from "./features/proxies/proxies.service.ts";
import { TapRepository } from "./features/tap/tap.repository.ts";
import { TapService } from "./features/tap/tap.service.ts";
import { UsersService } from "./features/users/users.service.ts";
import type { Logger } from "./logger.ts";
import { PUBLIC_ONLY, type EgressPolicy } from "./transport/egress-policy.ts";
import { outboundClient } from "./transport/outbound-fetch.ts";
import { UnitOfWork, type TransactionRepositories } from "./unit-of-work.ts";

/** Settings of the manager's services that are not plain environment (tests lower the password cost). */
export interface ServiceSettings {
  auth: AuthSettings;
  /** OIDC sign-in; absent when not configured. */
  oidc?: OidcSettings;
  clusters?: ClustersSettings;
  distribution?: DistributionSettings & {
    /** How often versions are re-read without a notification (the safety net under LISTEN/NOTIFY). */
    pollIntervalMs: number;
  };
  telemetry?: TelemetrySettings;
  spans?: SpanSettings;
  audit?: AuditSettings;
  /** The mesh CA; absent: no CA key (identity calls answer PRECONDITION_FAILED). */
  identity?: IdentitySettings;
  /** Hourly rollups: retention, grace, tick. */
  downsampling?: DownsamplingSettings;
  /** Read service metrics with PromQL from this server instead of the rollups (WEFT_METRICS_PROMETHEUS_URL). */
  prometheus?: PrometheusSourceOptions;
  /** The rollout controller's period (WEFT_ROLLOUT_TICK). */
  rollouts?: { tickMs: number };
  /** Where the manager's own HTTP calls (rollout webhooks, notification channels) may connect (WEFT_OUTBOUND_ALLOW); public addresses only when absent. */
  outbound?: EgressPolicy;
  /** The SLO evaluator's period (WEFT_SLO_TICK). */
  slo?: { tickMs: number };
  /** The notification sender: retry policy and period. */
  notifications?: DeliverySettings;
  /** The dashboard as people reach it, for links in tickets and notifications (WEFT_DASHBOARD_URL). */
  dashboardUrl?: string;
  /** The clock of the telemetry, metrics, SLO and notification features; tests inject one (a 30-day window must not take 30 days). */
  clock?: () => Date;
  /** Questions to agents (weft proxy-status, proxy-config). */
  proxies?: ProxiesSettings;
}

export const DEFAULT_SERVICE_SETTINGS: ServiceSettings = {
  auth: { passwordCost: PRODUCTION_SCRYPT_COST, sessionTtlMs: 12 * 3600_000, secureCookies: "auto", loginPolicy: DEFAULT_LOGIN_POLICY },
};

export interface Services {
  audit: AuditService;
  auth: AuthService;
  /** Null when OIDC is not configured. */
  oidc: OidcService | null;
  users: UsersService;
  tokens: TokensService;
  mesh: MeshService;
  resources: ResourcesService;
  authorization: AuthorizationService;
  /** Egress scopes (Sidecars) suggested from telemetry. */
  sidecars: SidecarsService;
  changeRequests: ChangeRequestsService;
  clusters: ClustersService;
  /** The compiler's diagnostics of the clusters' proxies, as the agents acknowledged them. */
  diagnostics: DiagnosticsService;
  discovery: DiscoveryService;
  distribution: DistributionService;
  sync: ConfigSyncService;
  telemetry: TelemetryService;
  /** The topology frame by frame over a window, with the window's changes marked. */
  topologyReplay: TopologyReplayService;
  /** The topology's edges with the services' export status. */
  topologyExports: TopologyExportsService;
  identity: IdentityService;
  /** Staged root rotations as operators drive them. */
  rotation: RotationService;
  /** Recent spans for trace views; prunes on a timer. */
  spans: SpansService;
  /** Why requests failed, from the recorded spans. */
  failureCauses: FailureCausesService;
  /** Service traffic as SLOs, canary analysis and charts read it: the rollups (the embedded default) or PromQL. */
  metricSource: MetricSource;
  /**
   * The same source for code inside a unit of work (a controller's step):
   * the rollups are read through the transaction's repository, because the
   * embedded database has one connection and the step holds it.
   */
  metricSourceIn(tx: Pick<TransactionRepositories, "metrics">): MetricSource;
  /** SLOs: statuses, alert history, series, dry runs, Prometheus rules, OpenSLO. */
  slo: SloService;
  /** Rollout runs as operators start, steer and read them. */
  rollouts: RolloutsService;
  /** The rollout controller's error-budget question, answered with the SLO evaluator's maths. */
  errorBudgetGate: ErrorBudgetGate;
  /** Weft's tickets, and Alertmanager's webhook into them. */
  tickets: TicketsService;
  /** Notification channels (admins) and the queue controllers hand events to. */
  notifications: NotificationsService;
  /** What controllers hand events to (the notifications service); `notifications.enqueueIn(tx, …)` inside a unit of work. */
  notifier: Notifier;
  /** The dashboard as people reach it (links in tickets, notifications, test messages). */
  dashboardUrl: string;
  /** What the agents' proxies run (weft proxy-status, proxy-config), asked of the agents. */
  proxies: ProxiesService;
  /** Live request summaries relayed by the agents (weft tap). */
  tap: TapService;
  /** The leader-elected controller loops (controllers/leader-loop.ts); tests tick them directly. */
  controllers: Controllers;
  /** The manager's own Prometheus metrics (GET /metrics). */
  metrics: ControlPlaneMetrics;
  /** Starts every controller loop (the manager does, once bootstrapped). */
  startControllers(): void;
  /** Stops background work (controllers, the config bus's listener and poll) and writes pending audit summaries. */
  close(): Promise<void>;
}

export interface Controllers {
  /** Advances staged root rotations as clusters catch up (every WEFT_ROTATION_TICK). */
  rotation: RotationController;
  /** Completes hourly rollups from the minute rollups and prunes old ones. */
  downsampler: RollupDownsampler;
  /** Judges every SLO, keeps alert states, opens and resolves tickets, queues notifications (every WEFT_SLO_TICK). */
  slo: SloController;
  /** Drives rollout runs step by step (every WEFT_ROLLOUT_TICK, and right after an operator's action). */
  rollouts: RolloutController;
  /** Sends queued notifications with retries (and right after something is queued). */
  notifications: DeliveryController;
}

/**
 * Wires repositories and services over one database. Collaborators are
 * passed to constructors, in dependency order; where a feature needs another
 * one's help it declares a small interface (e.g. clusters' IntermediateRevoker,
 * auth's AgentCredentials) that the other satisfies.
 */
export function createServices(db: Database, log: Logger, settings: ServiceSettings = DEFAULT_SERVICE_SETTINGS): Services {
  const prisma = db.prisma;
  // Validated resource documents, shared by this replica's reads and writes (transactions share what they read once committed).
  const documents = new DocumentCache();
  const uow = new UnitOfWork(prisma, documents);
  const usersRepository = new UsersRepository(prisma);
  const audit = new AuditService(new AuditRepository(prisma), log, settings.audit ?? DEFAULT_AUDIT_SETTINGS);
  const mesh = new MeshService(new MeshRepository(prisma));
  const currentMesh = async () => {
    const found = await mesh.get();
    if (!found) throw new Error("the default mesh is missing; the manager creates it at start");
    return found;
  };
  const distributionRepository = new DistributionRepository(prisma);
  const bus = new ConfigBus({
    readVersions: () => distributionRepository.versions(),
    // The embedded database's socket server does not pass NOTIFY between connections: local pokes and polling only.
    listenUrl: db.kind === "external" ? db.url : null,
    pollIntervalMs: settings.distribution?.pollIntervalMs ?? 10_000,
    log,
  });
  // After a commit that changed what clusters trust: this replica's config streams re-read at once.
  const trustChanged = () => bus.poke();
  const identitySettings = settings.identity ?? { caKey: null };
  const identityRepository = new IdentityRepository(prisma);
  const identity = new IdentityService(identityRepository, uow, audit, log, identitySettings, trustChanged);
  // A cluster whose credentials are revoked, or that is deleted, loses its intermediates (identity).
  const clustersRepository = new ClustersRepository(prisma);
  const clusters = new ClustersService(clustersRepository, uow, currentMesh, identity, settings.clusters ?? DEFAULT_CLUSTERS_SETTINGS);
  // Agent credentials belong to the clusters feature.
  const auth = new AuthService(new AuthRepository(prisma), usersRepository, new LoginThrottleRepository(prisma), uow, clusters, audit, settings.auth);
  const resourcesRepository = new ResourcesRepository(prisma, documents);
  // The SLO analyzers' inputs come from the SLO feature (built below; called only during a change).
  // A route's callers are the workloads telemetry saw calling its service in the last hour (built below; called only during a change).
  const recentCalls = async (tx: TransactionRepositories) => (await telemetry.within(tx.telemetry).edges({ from: new Date(clock().getTime() - 3_600_000), to: clock() })).edges;
  const resources: ResourcesService = new ResourcesService(uow, resourcesRepository, currentMesh, (tx, docs) => slo.analysisInputs(metricSourceIn(tx), docs), recentCalls);
  const spans = new SpansService(new SpansRepository(prisma), settings.spans ?? DEFAULT_SPAN_SETTINGS, log);
  spans.start();
  const metrics: ControlPlaneMetrics = new ControlPlaneMetrics({ versions: () => bus.current(), openStreams: (): ReadonlyMap<string, number> => distribution.openStreams, pool: db.pool });
  // This manager's controllers tell this manager's metrics of their ticks (several managers in one process keep their own counts).
  const onTick = (controller: string, outcome: "led" | "standby" | "failed", seconds: number) => metrics.controllerTicked(controller, outcome, seconds);
  const distribution = new DistributionService(uow, bus, clusters, log, settings.distribution ?? DEFAULT_DISTRIBUTION_SETTINGS, metrics);
  const rotation = new RotationService(identityRepository, uow, log, identitySettings.caKey, trustChanged);
  const clock = settings.clock ?? (() => new Date());
  const metricSource: MetricSource = settings.prometheus ? new PrometheusMetricSource(settings.prometheus) : new RollupMetricSource(new MetricsRepository(prisma));
  const metricSourceIn = (tx: Pick<TransactionRepositories, "metrics">): MetricSource => (metricSource.kind === "rollups" ? new RollupMetricSource(tx.metrics) : metricSource);
  const telemetry = new TelemetryService(new TelemetryRepository(prisma), uow, settings.telemetry ?? DEFAULT_TELEMETRY_SETTINGS, clock, metrics);
  const dashboardUrl = settings.dashboardUrl ?? "http://127.0.0.1:3000";
  // Every HTTP call the manager makes to an operator's URL goes through this one client.
  const outboundHttp = outboundClient(settings.outbound ?? PUBLIC_ONLY);
  const outbound = outboundHttp.fetch;
  const notificationsRepository = new NotificationsRepository(prisma);
  // Called at run time, once the controllers exist: wakes the sender after something was queued.
  const queued = () => controllers.notifications.poke();
  const egress = settings.outbound ?? PUBLIC_ONLY;
  const notifications = new NotificationsService(notificationsRepository, uow, log, identitySettings.caKey, clock, queued, egress);
  const contexts = new TicketContextBuilder(dashboardUrl, ACTIVE_ROLLOUT_LOOKUP);
  const tickets = new TicketsService(new TicketsRepository(prisma), uow, contexts, clock);
  const downsampling = settings.downsampling ?? DEFAULT_DOWNSAMPLING_SETTINGS;
  const slo: SloService = new SloService(new SloRepository(prisma), resources, tickets, metricSource, { metricsRetentionMs: settings.prometheus ? null : downsampling.hourlyRetentionMs, dashboardUrl }, clock);
  const rolloutWriter = new RolloutRunWriter(resources, notifications, dashboardUrl);
  const rollouts = new RolloutsService(uow, new RolloutsRepository(prisma), resources, rolloutWriter, currentMesh, clock, () => controllers.rollouts.poke(), egress);
  const controllers: Controllers = {
    rotation: new RotationController(uow, identityRepository, audit, log, trustChanged, identitySettings.rotationTickMs ?? DEFAULT_ROTATION_TICK_MS, undefined, onTick),
    downsampler: new RollupDownsampler(uow, log, downsampling, clock, onTick),
    slo: new SloController({ uow, metricSourceIn, notifications, tickets, contexts, dashboardUrl, log, now: clock, tickMs: settings.slo?.tickMs ?? DEFAULT_SLO_TICK_MS, queued, onTick }),
    rollouts: new RolloutController({ uow, writer: rolloutWriter, metricSourceIn, errorBudget: slo, audit, log, now: clock, tickMs: settings.rollouts?.tickMs ?? DEFAULT_ROLLOUT_TICK_MS, queued, onTick, fetch: outbound }),
    notifications: new DeliveryController(uow, notificationsRepository, notifications, log, outbound, settings.notifications ?? DEFAULT_DELIVERY_SETTINGS, clock, onTick),
  };
  return {
    audit,
    auth,
    oidc: settings.oidc ? new OidcService(settings.oidc, new OidcRepository(prisma), usersRepository, auth, audit, log) : null,
    users: new UsersService(usersRepository, uow, (p) => auth.hashPassword(p)),
    tokens: new TokensService(new TokensRepository(prisma)),
    mesh,
    resources,
    authorization: new AuthorizationService(resourcesRepository, currentMesh, new CallerObservationsRepository(prisma)),
    sidecars: new SidecarsService(resourcesRepository, currentMesh, new EgressObservationsRepository(prisma), clock),
    changeRequests: new ChangeRequestsService(uow, new ChangeRequestsRepository(prisma), resources),
    clusters,
    diagnostics: new DiagnosticsService(clustersRepository, currentMesh),
    discovery: new DiscoveryService(new DiscoveryRepository(prisma), uow, currentMesh),
    distribution,
    sync: new ConfigSyncService(clusters, audit, currentMesh, { metrics, versionWrittenAt: (version) => distributionRepository.versionWrittenAt(version) }),
    telemetry,
    topologyExports: new TopologyExportsService(telemetry, new TopologyExportsRepository(prisma), async () => (await currentMesh()).id),
    topologyReplay: new TopologyReplayService(new TelemetryRepository(prisma), new ReplayMarkersRepository(prisma), async () => (await currentMesh()).id, clock),
    identity,
    rotation,
    spans,
    failureCauses: new FailureCausesService(new FailureCausesRepository(prisma)),
    metricSource,
    metricSourceIn,
    slo,
    rollouts,
    errorBudgetGate: slo,
    tickets,
    notifications,
    notifier: notifications,
    dashboardUrl,
    proxies: new ProxiesService(new AgentQueriesRepository(prisma), currentMesh, settings.proxies ?? DEFAULT_PROXIES_SETTINGS),
    tap: new TapService(new TapRepository(prisma)),
    controllers,
    metrics,
    startControllers: () => {
      for (const controller of Object.values(controllers)) controller.start();
    },
    close: async () => {
      await Promise.all(Object.values(controllers).map((c) => c.stop()));
      spans.stop();
      await distribution.close();
      await audit.close();
      await outboundHttp.close();
    },
  };
}
