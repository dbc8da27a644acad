import {
  isKind,
  isNamespaced,
  parseResources,
  refOf,
  resourceKey,
  servicesReferencedBy,
  validateResource,
  ValidationError,
  type Kind,
  type Resource,
  type ResourceRef,
  type ValidationIssue,
} from "@weft/mesh-model";
import { roleAtLeast, roleIn, type Principal, type Scope } from "../../access.ts";
import type { AuditNote } from "../../context.ts";
import { notFound } from "../../errors.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import { planChange, storedNamespace, type ChangeOperation, type ChangePlan, type ChangeResult, type ResourceChange } from "./change-plan.ts";
import type { ResourcesRepository, RevisionView, StoredResource } from "./resources.repository.ts";

/** Who a change is recorded as. */
export interface Author {
  id: string | null;
  name: string;
}

/** Resources as the client sent them: YAML/JSON text, or parsed documents. */
export interface DocumentsInput {
  text?: string | undefined;
  format?: "yaml" | "json" | undefined;
  documents?: unknown[] | undefined;
}

export interface ChangeOptions {
  dryRun: boolean;
  message: string;
}

interface ExecuteOptions extends ChangeOptions {
  /** Revision action to record for applied documents (`restore` for rollbacks). */
  applyAction?: "restore";
  /** Set when approving a change request: protection was satisfied. */
  changeRequestId?: string;
  /** The caller, for deciding whether a protected namespace needs approval; absent when approving. */
  principal?: Principal;
  audit?: AuditNote;
}

/** A page of history. */
export interface HistoryPage {
  revisions: RevisionView[];
  /** Pass as `beforeVersion` for older entries; null on the last page. */
  nextCursor: bigint | null;
}

/** Parses and validates submitted documents: every issue at once, each with its document and path. */
export function parseDocuments(input: DocumentsInput): { ok: true; resources: Resource[] } | { ok: false; issues: ValidationIssue[] } {
  let resources: Resource[] = [];
  const issues: ValidationIssue[] = [];
  if (input.text !== undefined) {
    const parsed = parseResources(input.text, input.format);
    if (!parsed.ok) return { ok: false, issues: parsed.issues };
    resources = parsed.value;
  } else {
    (input.documents ?? []).forEach((doc, document) => {
      const result = validateResource(doc);
      if (result.ok) resources.push(result.value);
      else issues.push(...result.issues.map((i) => ({ ...i, document })));
    });
  }
  if (issues.length === 0 && resources.length === 0) issues.push({ path: "", message: "no resources in the input", code: "empty_input" });
  const seen = new Map<string, number>();
  resources.forEach((r, document) => {
    const key = resourceKey(refOf(r));
    const first = seen.get(key);
    if (first !== undefined) issues.push({ path: "metadata.name", message: `${key} appears twice (also document ${first})`, code: "duplicate_resource", document });
    else seen.set(key, document);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, resources };
}

/** The scopes a set of documents acts on (for access checks); [] when they cannot be read. */
export function scopesOfDocuments(raw: unknown): Scope[] {
  if (typeof raw !== "object" || raw === null) return [];
  const parsed = parseDocuments(raw as DocumentsInput);
  if (!parsed.ok) return [];
  return dedupeScopes(parsed.resources.map((r) => scopeOfRef(refOf(r))));
}

/** The scope of one resource reference in raw input (`{ kind, namespace?, name }`). */
export function scopesOfRefInput(raw: unknown): Scope[] {
  if (typeof raw !== "object" || raw === null) return [];
  const { kind, namespace } = raw as { kind?: unknown; namespace?: unknown };
  if (!isKind(kind)) return [];
  if (!isNamespaced(kind)) return ["mesh"];
  return [{ namespace: typeof namespace === "string" && namespace !== "" ? namespace : "default" }];
}

function scopeOfRef(ref: ResourceRef): Scope {
  return ref.namespace === undefined ? "mesh" : { namespace: ref.namespace };
}

function dedupeScopes(scopes: Scope[]): Scope[] {
  const seen = new Map<string, Scope>();
  for (const s of scopes) seen.set(s === "mesh" ? "mesh" : JSON.stringify(s), s);
  return [...seen.values()];
}

/** Normalizes a reference from input: namespaced kinds default to "default", mesh-wide kinds have none. */
export function normalizeRef(kind: Kind, name: string, namespace: string | undefined): ResourceRef {
  return isNamespaced(kind) ? { kind, name, namespace: namespace ?? "default" } : { kind, name };
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Changing resources: validation, analysis, dry runs, revisions, history and rollback. */
export class ResourcesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: ResourcesRepository,
    private readonly mesh: () => Promise<MeshInfo>,
  ) {}

  async list(filter: { kind?: string | undefined; namespace?: string | undefined }): Promise<StoredResource[]> {
    return this.repo.list((await this.mesh()).id, filter);
  }

  async get(ref: ResourceRef): Promise<StoredResource> {
    const found = await this.repo.find((await this.mesh()).id, ref.kind, storedNamespace(ref), ref.name);
    if (!found || found.deleted) throw notFound(resourceKey(ref), "name");
    return found;
  }

  /** Create-or-update of every document, atomically; or a dry run of it. */
  async applyDocuments(principal: Principal, input: DocumentsInput, options: ChangeOptions & { audit?: AuditNote }): Promise<ChangeResult> {
    const parsed = parseDocuments(input);
    if (!parsed.ok) {
      if (!options.dryRun) throw new ValidationError(input.text !== undefined && parsed.issues.some((i) => /_syntax$/.test(i.code)) ? "UNPARSABLE_INPUT" : "INVALID_RESOURCE", parsed.issues);
      const mesh = await this.mesh();
      return { dryRun: true, status: "invalid", configVersion: mesh.configVersion, changes: [], validation: { valid: false, issues: parsed.issues }, findings: [], affectedWorkloads: [], impact: null, changeRequest: null };
    }
    const operations: ChangeOperation[] = parsed.resources.map((resource) => ({ op: "apply", resource }));
    return this.uow.run((tx) => this.execute(tx, { id: principal.userId, name: principal.username }, operations, { ...options, principal }));
  }

  async delete(principal: Principal, ref: ResourceRef, options: ChangeOptions & { audit?: AuditNote }): Promise<ChangeResult> {
    return this.uow.run((tx) => this.execute(tx, { id: principal.userId, name: principal.username }, [{ op: "delete", ref }], { ...options, principal }));
  }

  /** Restores the content of an earlier revision as a new revision (an earlier deletion deletes). */
  async rollback(principal: Principal, ref: ResourceRef, toRevision: number, options: ChangeOptions & { audit?: AuditNote }): Promise<ChangeResult> {
    const meshId = (await this.mesh()).id;
    const target = await this.repo.revision(meshId, ref.kind, storedNamespace(ref), ref.name, toRevision);
    if (!target) throw notFound(`revision ${toRevision} of ${resourceKey(ref)}`, "toRevision");
    const operation: ChangeOperation = target.document ? { op: "apply", resource: target.document } : { op: "delete", ref };
    const message = options.message || `roll back to revision ${toRevision}`;
    return this.uow.run((tx) => this.execute(tx, { id: principal.userId, name: principal.username }, [operation], { ...options, message, principal, applyAction: "restore" }));
  }

  /**
   * Plans and (unless a dry run) applies operations inside the caller's
   * transaction: errors block, warnings pass; a change in a protected
   * namespace by a non-admin becomes a change request instead.
   */
  async execute(tx: TransactionRepositories, author: Author, operations: ChangeOperation[], options: ExecuteOptions): Promise<ChangeResult> {
    const mesh = options.dryRun ? await tx.mesh.get() : await tx.mesh.lock();
    if (!mesh) throw new Error("the default mesh is missing; the manager creates it at start");
    const [resources, discovery] = [await tx.resources.list(mesh.id), await tx.resources.discovery()];
    const plan = planChange({ trustDomain: mesh.trustDomain, resources, discovery }, operations);
    const missing = plan.changes.find((c, i) => operations[i]?.op === "delete" && c.fromRevision === null);
    if (missing) throw notFound(resourceKey(missing.ref), "name");
    if (options.audit) {
      options.audit.target = plan.changes.map((c) => resourceKey(c.ref)).join(", ");
      options.audit.namespace = plan.namespaces.length === 1 ? plan.namespaces[0] : undefined;
      options.audit.details = { ...options.audit.details, dryRun: options.dryRun, actions: plan.changes.map((c) => `${c.action} ${resourceKey(c.ref)}`) };
    }
    const result = (status: ChangeResult["status"], configVersion: bigint, changeRequest: ChangeResult["changeRequest"] = null): ChangeResult => ({
      dryRun: options.dryRun,
      status,
      configVersion,
      changes: plan.changes.map(publicChange),
      validation: { valid: true, issues: [] },
      findings: plan.findings,
      affectedWorkloads: plan.affectedWorkloads,
      impact: null,
      changeRequest,
    });
    const effective = plan.changes.filter((c) => c.action !== "unchanged");
    if (options.dryRun) return result(plan.blocked ? "blocked" : effective.length === 0 ? "unchanged" : "dry-run", mesh.configVersion);
    if (plan.blocked) throw blockingError(plan);
    if (effective.length === 0) return result("unchanged", mesh.configVersion);

    if (options.principal && !options.changeRequestId) {
      const principal = options.principal;
      const guarded = (await tx.changeRequests.protectedAmong(plan.namespaces.filter((n) => n !== ""))).filter((ns) => !roleAtLeast(roleIn(principal, { namespace: ns }), "ADMIN"));
      if (guarded.length > 0) {
        const request = await tx.changeRequests.create({
          authorId: principal.userId,
          authorName: principal.username,
          message: options.message,
          operations: effectiveOperations(plan, operations),
          namespaces: plan.namespaces,
          changes: effective.map(publicChange),
        });
        if (options.audit) options.audit.details = { ...options.audit.details, changeRequestId: request.id };
        return result("pending-approval", mesh.configVersion, { id: request.id, namespaces: guarded });
      }
    }

    const configVersion = await tx.mesh.bumpConfigVersion(mesh.id);
    for (const change of effective) {
      const doc = change.after ?? change.before;
      await tx.resources.writeRevision({
        meshId: mesh.id,
        kind: change.ref.kind,
        namespace: storedNamespace(change.ref),
        name: change.ref.name,
        document: change.after,
        authorId: author.id,
        authorName: author.name,
        message: options.message,
        diff: change.diff,
        configVersion,
        action: change.action === "delete" ? "delete" : (options.applyAction ?? change.action),
        services: doc ? uniq(servicesOf(doc)) : [],
        changeRequestId: options.changeRequestId ?? null,
      });
    }
    if (options.audit) options.audit.details = { ...options.audit.details, configVersion: configVersion.toString() };
    return result("applied", configVersion);
  }

  async history(ref: ResourceRef): Promise<RevisionView[]> {
    const revisions = await this.repo.history((await this.mesh()).id, ref.kind, storedNamespace(ref), ref.name);
    if (revisions.length === 0) throw notFound(resourceKey(ref), "name");
    return revisions;
  }

  async revision(ref: ResourceRef, revision: number): Promise<RevisionView> {
    const found = await this.repo.revision((await this.mesh()).id, ref.kind, storedNamespace(ref), ref.name, revision);
    if (!found) throw notFound(`revision ${revision} of ${resourceKey(ref)}`, "revision");
    return found;
  }

  async serviceHistory(service: { namespace: string; name: string }, page: { beforeVersion?: bigint | undefined; limit: number }): Promise<HistoryPage> {
    const meshId = (await this.mesh()).id;
    return pageByVersion((p) => this.repo.serviceHistory(meshId, service.namespace, service.name, p), page);
  }

  async meshHistory(page: { beforeVersion?: bigint | undefined; namespace?: string | undefined; limit: number }): Promise<HistoryPage> {
    const meshId = (await this.mesh()).id;
    return pageByVersion((p) => this.repo.meshHistory(meshId, { ...p, namespace: page.namespace }), page);
  }
}

/** `namespace/name` of every service a document refers to, for per-service history. */
function servicesOf(doc: Resource): string[] {
  return servicesReferencedBy(doc).map((r) => `${r.namespace}/${r.name}`);
}

function publicChange(change: ResourceChange): ResourceChange {
  return { ref: change.ref, action: change.action, fromRevision: change.fromRevision, diff: change.diff, textDiff: change.textDiff };
}

function effectiveOperations(plan: ChangePlan, operations: ChangeOperation[]): ChangeOperation[] {
  return operations.filter((_op, i) => plan.changes[i]?.action !== "unchanged");
}

function blockingError(plan: ChangePlan): ValidationError {
  const issues: ValidationIssue[] = plan.findings
    .filter((f) => f.severity === "error")
    .map((f) => ({ path: f.path, message: `${resourceKey(f.resource)}: ${f.message}`, code: f.code }));
  return new ValidationError("ANALYSIS_FAILED", issues);
}

/**
 * Pages history by config version without splitting one version (one change
 * can write several revisions) across pages.
 */
async function pageByVersion(fetch: (p: { beforeVersion?: bigint | undefined; limit: number }) => Promise<RevisionView[]>, page: { beforeVersion?: bigint | undefined; limit: number }): Promise<HistoryPage> {
  const rows = await fetch({ beforeVersion: page.beforeVersion, limit: page.limit + 1 });
  if (rows.length <= page.limit) return { revisions: rows, nextCursor: null };
  const boundary = (rows[page.limit - 1] as RevisionView).configVersion;
  if ((rows[page.limit] as RevisionView).configVersion !== boundary) return { revisions: rows.slice(0, page.limit), nextCursor: boundary };
  // The page would split one version: end it before that version, or, when that version alone fills it, take the whole version.
  const newer = rows.filter((r) => r.configVersion > boundary);
  if (newer.length > 0) return { revisions: newer, nextCursor: boundary + 1n };
  const whole = (await fetch({ beforeVersion: boundary + 1n, limit: 100_000 })).filter((r) => r.configVersion === boundary);
  return { revisions: whole, nextCursor: boundary };
}
