import { Prisma } from "@weft/db";
import { validateResource, type DiffEntry, type DiscoveredService, type DiscoveredWorkload, type Resource, type ValidationIssue } from "@weft/mesh-model";
import type { DbClient } from "../../db-client.ts";
import type { HeldDocuments } from "./document-cache.ts";

/** A stored resource with its latest document. */
export interface StoredResource {
  id: string;
  kind: string;
  /** Empty for mesh-wide kinds. */
  namespace: string;
  name: string;
  revision: number;
  deleted: boolean;
  /** When the resource was first created (HTTPRoute precedence ties go to the oldest). */
  createdAt: Date;
  updatedAt: Date;
  /** The latest document; null when the latest revision is a deletion. */
  document: Resource | null;
}

/** One revision as history shows it. */
export interface RevisionView {
  kind: string;
  namespace: string;
  name: string;
  revision: number;
  action: string;
  authorName: string;
  message: string;
  createdAt: Date;
  configVersion: bigint;
  diff: DiffEntry[];
  services: string[];
  changeRequestId: string | null;
  document: Resource | null;
}

/** A discovered workload with where it runs. */
export interface WorkloadRecord extends DiscoveredWorkload {
  cluster: string;
  /** Its version label, when it has one. */
  version?: string;
}

/** What discovery reports, shaped for the analyzers plus service → workload membership. */
export interface Discovery {
  services: DiscoveredService[];
  workloads: WorkloadRecord[];
  /** `namespace/name` of a service → the workloads serving it (any cluster). */
  members: Map<string, WorkloadRecord[]>;
}

export interface NewRevision {
  meshId: string;
  kind: string;
  namespace: string;
  name: string;
  document: Resource | null;
  authorId: string | null;
  authorName: string;
  message: string;
  diff: DiffEntry[];
  configVersion: bigint;
  action: string;
  services: string[];
  changeRequestId: string | null;
}

const revisionSelect = {
  revision: true,
  action: true,
  authorName: true,
  message: true,
  createdAt: true,
  configVersion: true,
  diff: true,
  services: true,
  changeRequestId: true,
  document: true,
  resource: { select: { kind: true, namespace: true, name: true } },
} as const;

type RevisionRow = Prisma.ResourceRevisionGetPayload<{ select: typeof revisionSelect }>;

function toRevisionView(row: RevisionRow): RevisionView {
  return {
    ...row.resource,
    revision: row.revision,
    action: row.action,
    authorName: row.authorName,
    message: row.message,
    createdAt: row.createdAt,
    configVersion: row.configVersion,
    diff: (row.diff ?? []) as unknown as DiffEntry[],
    services: row.services,
    changeRequestId: row.changeRequestId,
    document: toResource(row.document, `${row.resource.kind}/${row.resource.namespace ? `${row.resource.namespace}/` : ""}${row.resource.name}`, row.revision),
  };
}

/**
 * A stored document that no longer validates (a schema tightened without a
 * data migration). It is never handed out typed as a valid resource: plans
 * and analyzers over it would be wrong. The manager answers "internal error"
 * and logs this message, which names the resource, revision and fields.
 */
export class StoredDocumentError extends Error {
  override readonly name = "StoredDocumentError";
  constructor(
    readonly resource: string,
    readonly revision: number,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(`stored revision ${revision} of ${resource} no longer validates: ${issues.map((i) => `${i.path || "(document)"}: ${i.message}`).join("; ")}`);
  }
}

/**
 * A stored document as a domain resource. PostgreSQL's jsonb does not keep key
 * order; parsing with the kind's schema restores the documented order (and
 * applies defaults added since it was stored).
 */
function toResource(json: unknown, resource: string, revision: number): Resource | null {
  if (json === null || json === undefined) return null;
  const result = validateResource(json);
  if (!result.ok) throw new StoredDocumentError(resource, revision, result.issues);
  return result.value;
}

type ResourceRow = Prisma.ResourceGetPayload<{ include: { revisions: { select: { document: true } } } }>;

function toStoredResource(r: ResourceRow): StoredResource {
  return {
    id: r.id,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    revision: r.revision,
    deleted: r.deletedAt !== null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    document: toResource(r.revisions[0]?.document ?? null, `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`, r.revision),
  };
}

const latestDocument = { revisions: { orderBy: { revision: "desc" }, take: 1, select: { document: true } } } as const;

type PortJson = { port?: unknown; name?: unknown; protocol?: unknown };

export class ResourcesRepository {
  /**
   * `documents`: validated documents kept across transactions (see
   * DocumentCache); without it every list reads and validates every document.
   */
  constructor(
    private readonly db: DbClient,
    private readonly documents?: HeldDocuments,
  ) {}

  /**
   * Every resource whose latest revision is not a deletion (or all, with
   * `includeDeleted`). With a document cache, the heads are read first and
   * only the documents of revisions not held yet are read and validated (a
   * write among thousands of resources reads one document).
   */
  async list(meshId: string, filter: { kind?: string | undefined; namespace?: string | undefined; includeDeleted?: boolean } = {}): Promise<StoredResource[]> {
    const where = { meshId, ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.namespace !== undefined ? { namespace: filter.namespace } : {}), ...(filter.includeDeleted ? {} : { deletedAt: null }) };
    const orderBy = [{ kind: "asc" }, { namespace: "asc" }, { name: "asc" }] satisfies Prisma.ResourceOrderByWithRelationInput[];
    const documents = this.documents;
    if (!documents) return (await this.db.resource.findMany({ where, include: latestDocument, orderBy })).map(toStoredResource);
    const heads = await this.db.resource.findMany({ where, select: { id: true, kind: true, namespace: true, name: true, revision: true, deletedAt: true, createdAt: true, updatedAt: true }, orderBy });
    // Taken once: another request's list may drop entries while this one awaits its documents.
    const held = new Map(heads.flatMap((h) => {
      const document = h.deletedAt === null ? documents.held(h.id, h.revision) : undefined;
      return document ? [[h.id, document] as const] : [];
    }));
    const missing = heads.filter((h) => !held.has(h.id)).map((h) => h.id);
    // Head and document of a missing resource come from one statement, so they agree even when a
    // reader without the mesh lock races a write between the two reads (writers hold the lock).
    const fresh = new Map(missing.length === 0 ? [] : (await this.db.resource.findMany({ where: { id: { in: missing } }, include: latestDocument })).map((r) => [r.id, r]));
    const listed = heads.flatMap((h): StoredResource[] => {
      const row = fresh.get(h.id);
      if (!row) {
        const document = held.get(h.id);
        return document ? [{ id: h.id, kind: h.kind, namespace: h.namespace, name: h.name, revision: h.revision, deleted: false, createdAt: h.createdAt, updatedAt: h.updatedAt, document }] : [];
      }
      if (row.deletedAt !== null && !filter.includeDeleted) return [];
      const stored = toStoredResource(row);
      if (!stored.deleted && stored.document) documents.remember(row.id, { revision: row.revision, kind: row.kind, namespace: row.namespace, document: stored.document });
      return [stored];
    });
    documents.retain(filter, new Set(listed.flatMap((r) => (r.deleted ? [] : [r.id]))));
    return listed;
  }

  /**
   * The live resources with their latest documents, for config distribution.
   * `held(id, revision)` answers a document this replica already read and
   * validated for exactly that revision (revisions are append-only), so only
   * the documents of new revisions are read and validated: a write of one
   * resource among thousands reads one document.
   */
  async listLive(meshId: string, held: (id: string, revision: number) => Resource | undefined): Promise<{ id: string; revision: number; createdAt: Date; document: Resource }[]> {
    const heads = await this.db.resource.findMany({
      where: { meshId, deletedAt: null },
      select: { id: true, kind: true, namespace: true, name: true, revision: true, createdAt: true },
      orderBy: [{ kind: "asc" }, { namespace: "asc" }, { name: "asc" }],
    });
    const missing = heads.filter((h) => held(h.id, h.revision) === undefined);
    // Read in the caller's transaction (REPEATABLE READ for distribution): the latest revision is the head's.
    const rows = missing.length === 0 ? [] : await this.db.resource.findMany({ where: { id: { in: missing.map((h) => h.id) } }, select: { id: true, revisions: { orderBy: { revision: "desc" }, take: 1, select: { revision: true, document: true } } } });
    const read = new Map(rows.flatMap((r) => (r.revisions[0] ? [[`${r.id}@${r.revisions[0].revision}`, r.revisions[0].document] as const] : [])));
    return heads.flatMap((h) => {
      const document = held(h.id, h.revision) ?? toResource(read.get(`${h.id}@${h.revision}`) ?? null, `${h.kind}/${h.namespace ? `${h.namespace}/` : ""}${h.name}`, h.revision);
      return document ? [{ id: h.id, revision: h.revision, createdAt: h.createdAt, document }] : [];
    });
  }

  /** One resource (deleted ones too), by its unique key. */
  async find(meshId: string, kind: string, namespace: string, name: string): Promise<StoredResource | null> {
    const row = await this.db.resource.findUnique({ where: { meshId_kind_namespace_name: { meshId, kind, namespace, name } }, include: latestDocument });
    return row ? toStoredResource(row) : null;
  }

  async discovery(): Promise<Discovery> {
    const [services, workloads] = await Promise.all([
      this.db.service.findMany({ select: { namespace: true, name: true, ports: true, cluster: { select: { name: true } }, endpoints: { select: { workloadId: true } } } }),
      this.db.workload.findMany({ select: { id: true, namespace: true, name: true, serviceAccount: true, version: true, cluster: { select: { name: true } } } }),
    ]);
    const byId = new Map(workloads.map((w) => [w.id, w]));
    const records = new Map(workloads.map((w) => [w.id, { name: w.name, namespace: w.namespace, serviceAccount: w.serviceAccount, cluster: w.cluster.name, ...(w.version ? { version: w.version } : {}) } satisfies WorkloadRecord]));
    const members = new Map<string, WorkloadRecord[]>();
    const discovered: DiscoveredService[] = services.map((s) => {
      const ids = [...new Set(s.endpoints.map((e) => e.workloadId).filter((id): id is string => id !== null))];
      const key = `${s.namespace}/${s.name}`;
      members.set(key, [...(members.get(key) ?? []), ...ids.map((id) => records.get(id)).filter((w): w is WorkloadRecord => w !== undefined)]);
      const ports = (Array.isArray(s.ports) ? (s.ports as PortJson[]) : [])
        .filter((p) => typeof p.port === "number")
        .map((p) => ({ port: p.port as number, ...(typeof p.name === "string" ? { name: p.name } : {}), ...(typeof p.protocol === "string" ? { protocol: p.protocol } : {}) }));
      const versions = [...new Set(ids.map((id) => byId.get(id)?.version).filter((v): v is string => typeof v === "string" && v !== ""))];
      return { name: s.name, namespace: s.namespace, cluster: s.cluster.name, versions, ports };
    });
    return { services: discovered, workloads: [...records.values()], members };
  }

  /** Writes a revision and moves the resource's head to it (creating the resource on its first revision). */
  async writeRevision(rev: NewRevision): Promise<number> {
    const existing = await this.db.resource.findUnique({ where: { meshId_kind_namespace_name: { meshId: rev.meshId, kind: rev.kind, namespace: rev.namespace, name: rev.name } }, select: { id: true, revision: true } });
    const revision = (existing?.revision ?? 0) + 1;
    const deletedAt = rev.document === null ? new Date() : null;
    const resource = existing
      ? await this.db.resource.update({ where: { id: existing.id }, data: { revision, deletedAt }, select: { id: true } })
      : await this.db.resource.create({ data: { meshId: rev.meshId, kind: rev.kind, namespace: rev.namespace, name: rev.name, revision, deletedAt }, select: { id: true } });
    await this.db.resourceRevision.create({
      data: {
        resourceId: resource.id,
        revision,
        document: rev.document === null ? Prisma.DbNull : (rev.document as unknown as Prisma.InputJsonObject),
        authorId: rev.authorId,
        authorName: rev.authorName,
        message: rev.message,
        diff: rev.diff as unknown as Prisma.InputJsonArray,
        configVersion: rev.configVersion,
        action: rev.action,
        services: rev.services,
        changeRequestId: rev.changeRequestId,
      },
    });
    return revision;
  }

  /** Revisions of one resource, newest first. */
  async history(meshId: string, kind: string, namespace: string, name: string): Promise<RevisionView[]> {
    const rows = await this.db.resourceRevision.findMany({ where: { resource: { meshId, kind, namespace, name } }, select: revisionSelect, orderBy: { revision: "desc" } });
    return rows.map(toRevisionView);
  }

  async revision(meshId: string, kind: string, namespace: string, name: string, revision: number): Promise<RevisionView | null> {
    const row = await this.db.resourceRevision.findFirst({ where: { revision, resource: { meshId, kind, namespace, name } }, select: revisionSelect });
    return row ? toRevisionView(row) : null;
  }

  /** Revisions that touched a service (or every service of its namespace), newest first. */
  async serviceHistory(meshId: string, namespace: string, name: string, page: { beforeVersion?: bigint | undefined; limit: number }): Promise<RevisionView[]> {
    const rows = await this.db.resourceRevision.findMany({
      where: { resource: { meshId }, services: { hasSome: [`${namespace}/${name}`, `${namespace}/*`] }, ...(page.beforeVersion !== undefined ? { configVersion: { lt: page.beforeVersion } } : {}) },
      select: revisionSelect,
      orderBy: [{ configVersion: "desc" }, { createdAt: "desc" }],
      take: page.limit,
    });
    return rows.map(toRevisionView);
  }

  /** Every revision of the mesh, newest config version first. */
  async meshHistory(meshId: string, page: { beforeVersion?: bigint | undefined; namespace?: string | undefined; limit: number }): Promise<RevisionView[]> {
    const rows = await this.db.resourceRevision.findMany({
      where: { resource: { meshId, ...(page.namespace !== undefined ? { namespace: page.namespace } : {}) }, ...(page.beforeVersion !== undefined ? { configVersion: { lt: page.beforeVersion } } : {}) },
      select: revisionSelect,
      orderBy: [{ configVersion: "desc" }, { createdAt: "desc" }],
      take: page.limit,
    });
    return rows.map(toRevisionView);
  }
}
