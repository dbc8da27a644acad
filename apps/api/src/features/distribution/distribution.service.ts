import { createHash } from "node:crypto";
import { tracked, type TrackedEnvelope } from "@trpc/server";
import { ClusterConfigs, refOf, resourceKey, type ClusterCatalogInput, type ClusterConfig, type ClusterTrust, type Resource } from "@weft/mesh-model";
import type { AgentPrincipal } from "../../access.ts";
import { unauthenticated } from "../../errors.ts";
import { jsonPieces, sendAsJsonBytes } from "../../transport/sse-frames.ts";
import { plainJson } from "../../transport/wire-transformer.ts";
import type { Logger } from "../../logger.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import type { ControlPlaneMetrics } from "../control-plane/control-plane-metrics.ts";
import type { ClustersService } from "../clusters/clusters.service.ts";
import type { ConfigBus, MeshVersions } from "./config-bus.ts";
import type { MeshHead } from "./distribution.repository.ts";

const encoder = new TextEncoder();
/** The catalog before the first read (one object, so configs built on it can share their catalog part). */
const NO_CLUSTERS: readonly ClusterCatalogInput[] = [];

/** One cluster's config with its stream event id. */
export interface ClusterConfigEvent {
  /** `<configVersion>.<catalogVersion>.<content hash>`: the SSE event id agents resume from. */
  id: string;
  hash: string;
  config: ClusterConfig;
}

export interface DistributionSettings {
  /** How long a stream waits for a change before re-checking its credential and refreshing lastSeenAt. */
  streamKeepaliveMs: number;
}

export const DEFAULT_DISTRIBUTION_SETTINGS: DistributionSettings = { streamKeepaliveMs: 30_000 };

/** The content hash in an event id (its last part); null when the id is not one of ours. */
function hashOfEventId(id: string | null | undefined): string | null {
  const m = /^\d+\.\d+\.([0-9a-f]{16,64})$/.exec(id ?? "");
  return m?.[1] ?? null;
}

/**
 * Builds and streams cluster configs. Full snapshots every time (no deltas):
 * a snapshot is self-contained, so a reconnecting or restarted agent never
 * needs history, and the agent's own input hash turns an unchanged snapshot
 * into no work. Resources and catalog are read once per version for all
 * streams of this replica (only the documents of new revisions: the others
 * are kept, validated, from the last read); what every cluster's view shares
 * (the sorted resources, each federated service as seen from elsewhere) is
 * built and hashed once per version (`ClusterConfigs`), and each cluster's
 * config once per version however many of its agents stream it.
 */
export class DistributionService {
  private resources: { version: bigint; value: Resource[]; createdAt: Map<string, Date>; revisions: Map<string, string>; byId: Map<string, { revision: number; document: Resource }> } | null = null;
  private catalog: { version: bigint; value: ClusterCatalogInput[] } | null = null;
  private trust: { version: bigint; value: ClusterTrust | null } | null = null;
  private head: MeshHead | null = null;
  private loading: Promise<void> | null = null;
  /** Open streams per cluster on this replica: the cluster is marked disconnected when its last one closes. */
  private readonly open = new Map<string, number>();
  /** The last config built per cluster and the inputs it was built from. */
  private readonly built = new Map<string, { key: string; event: ClusterConfigEvent }>();
  /** Every cluster's config of the current inputs, built together (what they share is built once). */
  private configs: { key: string; all: ClusterConfigs } | null = null;
  /** The JSON (UTF-8) of parts shared between configs (resources, federated services), serialized once each. */
  private readonly json = new WeakMap<object, Uint8Array>();
  /** sha256 of that JSON, computed once each. */
  private readonly digests = new WeakMap<object, string>();
  /** Configs built and hashed (one per cluster per version; streams of one cluster share it). */
  readonly stats = { builds: 0 };

  constructor(
    private readonly uow: UnitOfWork,
    readonly bus: ConfigBus,
    private readonly clusters: ClustersService,
    private readonly log: Logger,
    private readonly settings: DistributionSettings = DEFAULT_DISTRIBUTION_SETTINGS,
    private readonly metrics?: Pick<ControlPlaneMetrics, "pushed">,
  ) {}

  /** Config streams open on this replica, per cluster id. */
  get openStreams(): ReadonlyMap<string, number> {
    return this.open;
  }

  /** Something may have changed the versions (a local write): check now. */
  poke(): void {
    this.bus.poke();
  }

  /** Brings the shared resources/catalog up to at least `want` (one read at a time, shared by every stream). */
  private async refresh(want: MeshVersions): Promise<void> {
    const fresh = () =>
      this.head !== null && this.head.configVersion >= want.configVersion && this.head.catalogVersion >= want.catalogVersion && this.head.trustBundleVersion >= want.trustBundleVersion;
    for (let attempt = 0; attempt < 3 && !fresh(); attempt++) {
      this.loading ??= (async () => {
        try {
          const read = await this.read({ configVersion: this.resources?.version ?? null, catalogVersion: this.catalog?.version ?? null, trustBundleVersion: this.trust?.version ?? null });
          if (read.resources)
            this.resources = {
              version: read.mesh.configVersion,
              value: read.resources.map((r) => r.document),
              createdAt: new Map(read.resources.map((r) => [resourceKey(refOf(r.document)), r.createdAt])),
              revisions: new Map(read.resources.map((r) => [resourceKey(refOf(r.document)), `${r.id}.${r.revision}`])),
              byId: new Map(read.resources.map((r) => [r.id, { revision: r.revision, document: r.document }])),
            };
          if (read.catalog) this.catalog = { version: read.mesh.catalogVersion, value: read.catalog };
          if (read.trust) this.trust = { version: read.mesh.trustBundleVersion, value: read.trust.value };
          this.head = read.mesh;
        } finally {
          this.loading = null;
        }
      })();
      await this.loading;
    }
  }

  /**
   * One consistent read (REPEATABLE READ) of the mesh's versions and, when
   * their version differs from what this replica already holds, the live
   * resources, the catalog and the trust: the versions always describe the content.
   */
  private read(have: { configVersion: bigint | null; catalogVersion: bigint | null; trustBundleVersion: bigint | null }) {
    const held = this.resources?.byId;
    return this.uow.run(
      async (tx) => {
        const mesh = await tx.distribution.head();
        // Documents of revisions read before are reused (revisions never change); only new ones are read and validated.
        const resources = have.configVersion === mesh.configVersion ? null : await tx.resources.listLive(mesh.id, (id, revision) => (held?.get(id)?.revision === revision ? held.get(id)?.document : undefined));
        const catalog = have.catalogVersion === mesh.catalogVersion ? null : await tx.distribution.catalog(mesh.id);
        // The mesh's trust (roots, issuing root, revocations) changes only with trustBundleVersion.
        const trust = have.trustBundleVersion === mesh.trustBundleVersion ? null : { value: await tx.identity.trust(new Date()) };
        return { mesh, resources, catalog, trust };
      },
      { isolationLevel: "RepeatableRead", timeoutMs: 60_000 },
    );
  }

  /** The current config of the agent's cluster. */
  async snapshotFor(agent: AgentPrincipal): Promise<ClusterConfigEvent> {
    await this.refresh(await this.bus.current());
    const head = this.head as MeshHead;
    // Streams wake for every version change and every poll; a cluster's view is built (and hashed) once per input.
    const key = [head.trustDomain, head.mtlsMode, this.resources?.version, this.catalog?.version, this.trust?.version].join("|");
    const cached = this.built.get(agent.cluster);
    if (cached?.key === key) return cached.event;
    if (this.configs?.key !== key) {
      this.configs = { key, all: this.configsOf(head) };
      // Configs of older inputs are not served again: drop them rather than hold a copy per cluster.
      this.built.clear();
    }
    const event = this.build(this.configs.all.forCluster(agent.cluster));
    this.built.set(agent.cluster, { key, event });
    return event;
  }

  private configsOf(head: MeshHead): ClusterConfigs {
    // The last state's configs: when the catalog is unchanged their federated services are taken over (digests, JSON kept).
    return new ClusterConfigs(
      {
        mesh: { trustDomain: head.trustDomain, mtlsMode: head.mtlsMode },
        // The same for every cluster: roots, the issuing root and revoked intermediates (identity feature).
        trust: this.trust?.value ?? null,
        configVersion: this.resources?.version ?? head.configVersion,
        catalogVersion: this.catalog?.version ?? head.catalogVersion,
        resources: this.resources?.value ?? [],
        ...(this.resources && { createdAt: this.resources.createdAt, revisions: this.resources.revisions }),
        clusters: this.catalog?.value ?? NO_CLUSTERS,
      },
      this.configs?.all,
    );
  }

  /**
   * sha256 of `value`'s JSON, once per object: the configs of one version share their resources and most
   * catalog entries. The JSON is kept: the same bytes make up every config event that carries the part.
   */
  private digest(value: object): string {
    let d = this.digests.get(value);
    if (d === undefined) {
      let json = this.json.get(value);
      if (!json) this.json.set(value, (json = encoder.encode(JSON.stringify(value))));
      this.digests.set(value, (d = createHash("sha256").update(json).digest("hex")));
    }
    return d;
  }

  private build(built: ClusterConfig): ClusterConfigEvent {
    this.stats.builds++;
    // Agents key what they parsed by the catalog's digest (and the resources' revision ids) instead of re-serializing them.
    const catalogHash = createHash("sha256");
    for (const service of built.catalog) catalogHash.update(this.digest(service));
    const config: ClusterConfig = { ...built, catalogDigest: catalogHash.update(String(built.catalog.length)).digest("hex").slice(0, 32) };
    // The hash covers content only (and the config version): a catalog change elsewhere that leaves this cluster's
    // view as it was sends nothing. Shared parts are hashed once per version, each config hashes their digests.
    const hash = createHash("sha256")
      .update(JSON.stringify([config.cluster, config.configVersion, config.mesh]))
      .update(config.trust ? this.digest(config.trust) : "-")
      .update(this.digest(config.resources))
      .update(config.resourceCreatedAt ? this.digest(config.resourceCreatedAt) : "-");
    for (const service of config.catalog) hash.update(this.digest(service));
    const short = hash.update(String(config.catalog.length)).digest("hex").slice(0, 32);
    // Streams send the event as bytes assembled from the shared parts' JSON (once per config, not per stream).
    sendAsJsonBytes(config, () => jsonPieces(config as unknown as Record<string, unknown>, this.json));
    return { id: `${config.configVersion}.${config.catalogVersion}.${short}`, hash: short, config };
  }

  /**
   * The agent's config stream: the current snapshot on connect (unless
   * `lastEventId` names exactly that content), then a new snapshot whenever
   * the content for this cluster changes. Ends when the credential is
   * revoked or the cluster deleted, or the client goes away.
   */
  async *stream(agent: AgentPrincipal, lastEventId: string | null, signal: AbortSignal | undefined): AsyncGenerator<TrackedEnvelope<ClusterConfig>> {
    let sentHash = hashOfEventId(lastEventId);
    this.open.set(agent.clusterId, (this.open.get(agent.clusterId) ?? 0) + 1);
    await this.clusters.streamOpened(agent);
    let lastSeenWrite = Date.now();
    // When this stream learnt of the versions it is about to serve (push latency starts there).
    let wokeAt = performance.now();
    try {
      while (!signal?.aborted) {
        const versions = await this.bus.current();
        const event = await this.snapshotFor(agent);
        if (event.hash !== sentHash) {
          sentHash = event.hash;
          this.metrics?.pushed(agent.cluster, (performance.now() - wokeAt) / 1000);
          // Built from JSON data only: the transformer sends it without superjson's walk (as prebuilt bytes on the manager's server).
          yield tracked(event.id, plainJson(event.config));
        }
        await this.bus.waitForChange(versions, signal, this.settings.streamKeepaliveMs);
        wokeAt = performance.now();
        if (signal?.aborted) break;
        if (!(await this.clusters.credentialActive(agent))) throw unauthenticated("agent credentials revoked");
        if (Date.now() - lastSeenWrite >= this.settings.streamKeepaliveMs) {
          lastSeenWrite = Date.now();
          await this.clusters.streamOpened(agent);
        }
      }
    } finally {
      const left = (this.open.get(agent.clusterId) ?? 1) - 1;
      if (left > 0) this.open.set(agent.clusterId, left);
      else this.open.delete(agent.clusterId);
      if (left <= 0)
        await this.clusters.streamClosed(agent).catch((err: unknown) => this.log.debug({ err }, "could not mark the cluster disconnected"));
    }
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
