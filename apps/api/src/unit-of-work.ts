// The one way to run work in a database transaction. Services never hold a
// Prisma client: they get their feature's repository for single reads and
// writes, and a UnitOfWork when several writes (or several features'
// writes) must commit together. A new feature that takes part in
// transactions adds its repository to TransactionRepositories below.
import type { Prisma, PrismaClient } from "@weft/db";
import { LeaderLockRepository } from "./controllers/leader-lock.repository.ts";
import { SavepointRepository } from "./controllers/savepoint.repository.ts";
import { ChangeRequestsRepository } from "./features/change-requests/change-requests.repository.ts";
import { ClustersRepository } from "./features/clusters/clusters.repository.ts";
import { DiscoveryRepository } from "./features/discovery/discovery.repository.ts";
import { DistributionRepository } from "./features/distribution/distribution.repository.ts";
import { IdentityRepository } from "./features/identity/identity.repository.ts";
import { MeshRepository } from "./features/mesh/mesh.repository.ts";
import { MetricsRepository } from "./features/metrics/metrics.repository.ts";
import { NotificationsRepository } from "./features/notifications/notifications.repository.ts";
import { RolloutsRepository } from "./features/rollouts/rollouts.repository.ts";
import { SloRepository } from "./features/slo/slo.repository.ts";
import { SpansRepository } from "./features/telemetry/spans.repository.ts";
import { TicketsRepository } from "./features/tickets/tickets.repository.ts";
import type { DocumentCache, TransactionDocuments } from "./features/resources/document-cache.ts";
import { ResourcesRepository } from "./features/resources/resources.repository.ts";
import { TelemetryRepository } from "./features/telemetry/telemetry.repository.ts";
import { UsersRepository } from "./features/users/users.repository.ts";

/** The repositories a unit of work uses, all bound to its transaction. */
export interface TransactionRepositories {
  mesh: MeshRepository;
  resources: ResourcesRepository;
  changeRequests: ChangeRequestsRepository;
  clusters: ClustersRepository;
  identity: IdentityRepository;
  distribution: DistributionRepository;
  discovery: DiscoveryRepository;
  telemetry: TelemetryRepository;
  /** Rollups as the metric source reads them, and their downsampling. */
  metrics: MetricsRepository;
  /** Notification channels and the delivery queue. */
  notifications: NotificationsRepository;
  /** SLO statuses, alerts and their history. */
  slo: SloRepository;
  /** Rollout runs, their steps, checks, events and approvals. */
  rollouts: RolloutsRepository;
  /** Weft's tickets. */
  tickets: TicketsRepository;
  /** Stored spans (exemplar traces for tickets). */
  spans: SpansRepository;
  users: UsersRepository;
  /** Advisory locks for leader-elected controller loops (controllers/leader-loop.ts). */
  leaderLock: LeaderLockRepository;
  /** Parts of the transaction that fail alone (a controller's per-item work). */
  savepoints: SavepointRepository;
}

export interface TransactionOptions {
  /** Default: the database's (READ COMMITTED). A consistent multi-table read asks for REPEATABLE READ. */
  isolationLevel?: "RepeatableRead" | "Serializable";
  /** How long the transaction may run (default 120 s). */
  timeoutMs?: number;
}

function repositoriesOf(tx: Prisma.TransactionClient, documents: TransactionDocuments | undefined): TransactionRepositories {
  return {
    mesh: new MeshRepository(tx),
    resources: new ResourcesRepository(tx, documents),
    changeRequests: new ChangeRequestsRepository(tx),
    clusters: new ClustersRepository(tx),
    identity: new IdentityRepository(tx),
    distribution: new DistributionRepository(tx),
    discovery: new DiscoveryRepository(tx),
    telemetry: new TelemetryRepository(tx),
    metrics: new MetricsRepository(tx),
    notifications: new NotificationsRepository(tx),
    slo: new SloRepository(tx),
    rollouts: new RolloutsRepository(tx),
    tickets: new TicketsRepository(tx),
    spans: new SpansRepository(tx),
    users: new UsersRepository(tx),
    leaderLock: new LeaderLockRepository(tx),
    savepoints: new SavepointRepository(tx),
  };
}

/**
 * Runs work in one database transaction: everything written through the
 * repositories it hands over commits together or not at all (a change, its
 * revisions and the config version bump; a cluster's deletion and the
 * revocation of its intermediates; a controller's step). Throwing rolls back.
 */
export class UnitOfWork {
  /** `documents`: this replica's cache of validated resource documents, shared by its transactions (see DocumentCache). */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly documents?: DocumentCache,
  ) {}

  async run<T>(work: (tx: TransactionRepositories) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const documents = this.documents?.transaction();
    const result = await this.prisma.$transaction((tx) => work(repositoriesOf(tx, documents)), {
      maxWait: 30_000,
      timeout: options.timeoutMs ?? 120_000,
      ...(options.isolationLevel ? { isolationLevel: options.isolationLevel } : {}),
    });
    // Only now: a rolled-back transaction's reads of its own revisions must not outlive it.
    documents?.commit();
    return result;
  }
}
