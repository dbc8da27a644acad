import { resourceKey, validateResource, ValidationError, type Finding, type Resource } from "@weft/mesh-model";
import type { Principal, Scope } from "../../access.ts";
import { conflict, forbidden, invalid, notFound } from "../../errors.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import { withAuditFacts, type Audited } from "../audit/audit-facts.ts";
import type { ChangeOperation, ChangeResult, ResourceChange } from "../resources/change-plan.ts";
import { scopesOfNamespaces, type MovedResource, type ResourcesService } from "../resources/resources.service.ts";
import type { ChangeRequestsRepository, ChangeRequestView } from "./change-requests.repository.ts";

/** A change request as its reviewer sees it. */
export interface ChangeRequestDetail extends ChangeRequestView {
  /** The diffs as they were when the request was made. */
  requestedChanges: ResourceChange[];
  /** A resource moved since the request was made: approval would be refused; re-submit. */
  stale: boolean;
  moved: MovedResource[];
  /** Analyzer findings of applying the request now (pending requests). */
  findings: Finding[];
}

/** The revision each resource of a request was at when it was made (`resourceKey` → revision; null: absent). */
function expectedRevisions(changes: readonly ResourceChange[]): Map<string, number | null> {
  return new Map(changes.map((c) => [resourceKey(c.ref), c.fromRevision]));
}

/** Four-eyes changes for protected namespaces, and which namespaces are protected. */
export class ChangeRequestsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: ChangeRequestsRepository,
    private readonly resources: ResourcesService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(filter: { status?: ChangeRequestView["status"] | undefined; limit: number }): Promise<ChangeRequestView[]> {
    return this.repo.list(filter);
  }

  /**
   * One request for its reviewer. A pending request's `changes` are diffed
   * against the live config now (what approving would do); `stale` says a
   * resource moved since the request was made, in which case approval is
   * refused. `requestedChanges` are the diffs as they were when requested.
   */
  async get(id: string): Promise<ChangeRequestDetail> {
    const found = await this.repo.byId(id);
    if (!found) throw notFound("change request", "id");
    if (found.status !== "PENDING") return { ...found, requestedChanges: found.changes, stale: false, moved: [], findings: [] };
    const preview = await this.resources.preview(revalidate(found.operations), expectedRevisions(found.changes));
    return { ...found, changes: preview.changes, requestedChanges: found.changes, stale: preview.moved.length > 0, moved: preview.moved, findings: preview.findings };
  }

  /** The scopes a decision on a request needs rights in: every namespace it touches (unknown requests: none; the decision answers NOT_FOUND). */
  async scopesOf(id: string): Promise<Scope[]> {
    const found = await this.repo.byId(id);
    return scopesOfNamespaces(found?.namespaces ?? []);
  }

  /** Applies a pending request as its author's change, approved by a second person (never the author). */
  async approve(principal: Principal, id: string, reason: string | undefined): Promise<Audited<{ request: ChangeRequestView; result: ChangeResult }>> {
    return this.uow.run(async (tx) => {
      const request = await tx.changeRequests.lock(id);
      if (!request) throw notFound("change request", "id");
      if (request.status !== "PENDING") throw conflict(`the change request is already ${request.status.toLowerCase()}`, "id");
      if (request.authorId === principal.userId) throw forbidden("you cannot approve your own change request; another user with rights in its namespaces must");
      const operations = revalidate(request.operations);
      const message = [request.message, `(approved by ${principal.username}${reason ? `: ${reason}` : ""})`].filter(Boolean).join(" ");
      // Refused (CONFLICT) when a resource moved since the request: approving would silently overwrite the newer change.
      const { value: result } = await this.resources
        .execute(tx, { id: request.authorId, name: request.authorName }, operations, { dryRun: false, message, changeRequestId: id, expectedRevisions: expectedRevisions(request.changes) })
        // The approval's audit event names the request, not the resources the change's own facts name.
        .catch((err: unknown) => Promise.reject(withAuditFacts(err, { target: `ChangeRequest/${id}` })));
      const decided = await tx.changeRequests.decide(id, { status: "APPLIED", deciderId: principal.userId, deciderName: principal.username, reason: reason ?? null, configVersion: result.configVersion, at: this.now() });
      return { value: { request: decided, result }, audit: { details: { author: request.authorName, configVersion: result.configVersion.toString() } } };
    });
  }

  /** Rejects (or, by its author, withdraws) a pending request: the live config is untouched. */
  async reject(principal: Principal, id: string, reason: string | undefined): Promise<ChangeRequestView> {
    return this.uow.run(async (tx) => {
      const request = await tx.changeRequests.lock(id);
      if (!request) throw notFound("change request", "id");
      if (request.status !== "PENDING") throw conflict(`the change request is already ${request.status.toLowerCase()}`, "id");
      return tx.changeRequests.decide(id, { status: "REJECTED", deciderId: principal.userId, deciderName: principal.username, reason: reason ?? null, configVersion: null, at: this.now() });
    });
  }

  listProtected() {
    return this.repo.listProtected();
  }

  async protect(principal: Principal, namespace: string): Promise<void> {
    await this.repo.protect(namespace, principal.username);
  }

  async unprotect(namespace: string): Promise<void> {
    if (!(await this.repo.unprotect(namespace))) throw invalid(`namespace "${namespace}" is not protected`, "namespace");
  }
}

/** Stored operations are validated again: the schema may have tightened since the request was made. */
function revalidate(operations: ChangeOperation[]): ChangeOperation[] {
  return operations.map((op, document) => {
    if (op.op === "delete") return op;
    const result = validateResource(op.resource);
    if (!result.ok) throw new ValidationError("INVALID_RESOURCE", result.issues.map((i) => ({ ...i, document })));
    return { op: "apply", resource: result.value as Resource };
  });
}
