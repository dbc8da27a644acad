import type { ChangeRequestStatus as StoredStatus, Prisma } from "@weft/db";
import type { DbClient, SameValues } from "../../db-client.ts";
import type { ChangeOperation, ResourceChange } from "../resources/change-plan.ts";

/** Where a change request stands. */
export type ChangeRequestStatus = "PENDING" | "APPLIED" | "REJECTED";
const _sameStatus: SameValues<StoredStatus, ChangeRequestStatus> = true;

/** A change waiting for (or past) a second person's decision. */
export interface ChangeRequestView {
  id: string;
  status: ChangeRequestStatus;
  authorId: string | null;
  authorName: string;
  message: string;
  operations: ChangeOperation[];
  namespaces: string[];
  /** The changes as they looked against the live config when requested. */
  changes: ResourceChange[];
  createdAt: Date;
  decidedAt: Date | null;
  deciderName: string | null;
  decisionReason: string | null;
  configVersion: bigint | null;
}

type Row = Prisma.ChangeRequestGetPayload<object>;

function toView(row: Row): ChangeRequestView {
  return {
    id: row.id,
    status: row.status,
    authorId: row.authorId,
    authorName: row.authorName,
    message: row.message,
    operations: row.operations as unknown as ChangeOperation[],
    namespaces: row.namespaces,
    changes: (row.diff ?? []) as unknown as ResourceChange[],
    createdAt: row.createdAt,
    decidedAt: row.decidedAt,
    deciderName: row.deciderName,
    decisionReason: row.decisionReason,
    configVersion: row.configVersion,
  };
}

export class ChangeRequestsRepository {
  constructor(private readonly db: DbClient) {}

  async create(data: { authorId: string; authorName: string; message: string; operations: ChangeOperation[]; namespaces: string[]; changes: ResourceChange[] }): Promise<ChangeRequestView> {
    const row = await this.db.changeRequest.create({
      data: {
        authorId: data.authorId,
        authorName: data.authorName,
        message: data.message,
        operations: data.operations as unknown as Prisma.InputJsonArray,
        namespaces: data.namespaces,
        diff: data.changes as unknown as Prisma.InputJsonArray,
      },
    });
    return toView(row);
  }

  async byId(id: string): Promise<ChangeRequestView | null> {
    const row = await this.db.changeRequest.findUnique({ where: { id } });
    return row ? toView(row) : null;
  }

  /** Reads a request and locks it until the transaction ends, so two approvers cannot both apply it. */
  async lock(id: string): Promise<ChangeRequestView | null> {
    await this.db.$queryRaw`SELECT id FROM "ChangeRequest" WHERE id = ${id}::uuid FOR UPDATE`;
    return this.byId(id);
  }

  async list(filter: { status?: ChangeRequestStatus | undefined; limit: number }): Promise<ChangeRequestView[]> {
    const rows = await this.db.changeRequest.findMany({ where: filter.status ? { status: filter.status } : {}, orderBy: { createdAt: "desc" }, take: filter.limit });
    return rows.map(toView);
  }

  async decide(id: string, decision: { status: ChangeRequestStatus; deciderId: string; deciderName: string; reason: string | null; configVersion: bigint | null; at: Date }): Promise<ChangeRequestView> {
    const row = await this.db.changeRequest.update({
      where: { id },
      data: { status: decision.status, deciderId: decision.deciderId, deciderName: decision.deciderName, decisionReason: decision.reason, configVersion: decision.configVersion, decidedAt: decision.at },
    });
    return toView(row);
  }

  /** Which of `namespaces` are protected. */
  async protectedAmong(namespaces: readonly string[]): Promise<string[]> {
    if (namespaces.length === 0) return [];
    const rows = await this.db.protectedNamespace.findMany({ where: { namespace: { in: [...namespaces] } }, select: { namespace: true } });
    return rows.map((r) => r.namespace).sort();
  }

  async listProtected(): Promise<{ namespace: string; createdAt: Date; createdBy: string }[]> {
    return this.db.protectedNamespace.findMany({ orderBy: { namespace: "asc" } });
  }

  async protect(namespace: string, by: string): Promise<void> {
    await this.db.protectedNamespace.upsert({ where: { namespace }, create: { namespace, createdBy: by }, update: {} });
  }

  /** False when the namespace was not protected. */
  async unprotect(namespace: string): Promise<boolean> {
    return (await this.db.protectedNamespace.deleteMany({ where: { namespace } })).count > 0;
  }
}
