import {
  assertNoBlockingFindings,
  isNamespaced,
  namespacesReferencedBy,
  parseResources,
  refOf,
  resourceKey,
  servicesReferencedBy,
  validateResource,
  ValidationError,
  type Finding,
  type Kind,
  type MeshSnapshot,
  type Resource,
  type ResourceRef,
  type ValidationIssue,
} from "@weft/mesh-model";
import { assertRole, roleAtLeast, roleIn, type Principal, type Scope } from "../../access.ts";
import { conflict, invalid, notFound } from "../../errors.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import { withAuditFacts, type Audited, type AuditFacts } from "../audit/audit-facts.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import { formatSelector, planPrune, type LabelSelector } from "./prune-plan.ts";
import { changesCallerSide, planChange, storedNamespace, type ChangeOperation, type ChangePlan, type ChangeResult, type ObservedCall, type ResourceChange } from "./change-plan.ts";
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
  /** Deleting what is already gone is "unchanged" rather than NOT_FOUND (rollback to a deletion). */
  allowMissingDelete?: boolean;
  /**
   * The revision each resource must still be at (`resourceKey` → revision,
   * null for "absent"): approving a change request refuses when anything
   * moved since the request was made.
   */
  expectedRevisions?: ReadonlyMap<string, number | null>;
  /** Set when approving a change request: protection was satisfied. */
  changeRequestId?: string;
  /** Also delete what the applied documents no longer declare among the resources this selector covers (see prune-plan.ts). */
  prune?: LabelSelector;
  /** The caller, for deciding whether a protected namespace needs approval; absent when approving. */
  principal?: Principal;
  /** Set by the rollout controller: the run whose route this writes (every other writer is refused on a route a running rollout owns). */
  rolloutRunId?: string;
}

/** A page of history. */
export interface HistoryPage {
  revisions: RevisionView[];
  /** Pass as `beforeVersion` for older entries; null on the last page. */
  nextCursor: bigint | null;
}

/** Submitted documents once read: every resource, or every issue (with the refusal code for a real change). */
export type ParsedDocuments = { ok: true; resources: Resource[] } | { ok: false; issues: ValidationIssue[]; code: "UNPARSABLE_INPUT" | "INVALID_RESOURCE" };

/** Parses and validates submitted documents: every issue at once, each with its document and path. Never throws. */
export function parseDocuments(input: DocumentsInput): ParsedDocuments {
  let resources: Resource[] = [];
  const issues: ValidationIssue[] = [];
  if (input.text !== undefined) {
    const parsed = parseResources(input.text, input.format);
    if (!parsed.ok) return { ok: false, issues: parsed.issues, code: parsed.issues.some((i) => /_syntax$/.test(i.code)) ? "UNPARSABLE_INPUT" : "INVALID_RESOURCE" };
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
    // Humans count documents from 1 (the `document` field is the 0-based index).
    if (first !== undefined) issues.push({ path: "metadata.name", message: `${key} appears twice (also document ${first + 1})`, code: "duplicate_resource", document });
    else seen.set(key, document);
  });
  return issues.length > 0 ? { ok: false, issues, code: "INVALID_RESOURCE" } : { ok: true, resources };
}

/**
 * The scopes a set of documents acts on (for access checks): every namespace
 * each resource is in or references (see `namespacesReferencedBy`), and the
 * whole mesh for mesh-wide kinds; [] when the documents are invalid (nothing
 * will be acted on).
 */
export function scopesOfDocuments(parsed: ParsedDocuments): Scope[] {
  if (!parsed.ok) return [];
  return dedupeScopes(parsed.resources.flatMap((r) => scopesOfResource(r)));
}

/** The scope of one resource reference from validated input (`{ kind, namespace?, name }`). */
export function scopesOfRef(input: { kind: Kind; namespace?: string | undefined }): Scope[] {
  if (!isNamespaced(input.kind)) return ["mesh"];
  return [{ namespace: input.namespace ?? "default" }];
}

function scopesOfResource(resource: Resource): Scope[] {
  const namespaces = namespacesReferencedBy(resource);
  return namespaces.length === 0 ? ["mesh"] : namespaces.map((namespace) => ({ namespace }));
}

/** Stored-form namespaces ("" for mesh-wide) as access scopes. */
export function scopesOfNamespaces(namespaces: readonly string[]): Scope[] {
  return dedupeScopes(namespaces.map((namespace) => (namespace === "" ? "mesh" : { namespace })));
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

/** The SLO feature's answer to "what do the SLO analyzers need for these documents" (inside the change's unit of work). */
export type SloAnalysisInputs = (tx: TransactionRepositories, resources: readonly Resource[]) => Promise<Pick<MeshSnapshot, "metricsRetentionMs" | "observedTraffic">>;

/** Changing resources: validation, analysis, dry runs, revisions, history and rollback. */
export class ResourcesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: ResourcesRepository,
    private readonly mesh: () => Promise<MeshInfo>,
    /** What the SLO analyzers need beyond documents (metrics retention, observed traffic); absent in tests that change no SLOs. */
    private readonly sloInputs?: SloAnalysisInputs,
    /** Who called whom in the last hour (telemetry rollups), for naming a route's real callers; absent in tests without telemetry. */
    private readonly recentCalls?: () => Promise<readonly ObservedCall[]>,
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
  async applyDocuments(principal: Principal, parsed: ParsedDocuments, options: ChangeOptions & { prune?: LabelSelector | undefined }): Promise<Audited<ChangeResult>> {
    if (!parsed.ok) {
      if (!options.dryRun) throw new ValidationError(parsed.code, parsed.issues);
      const mesh = await this.mesh();
      const value: ChangeResult = { dryRun: true, status: "invalid", configVersion: mesh.configVersion, changes: [], validation: { valid: false, issues: parsed.issues }, findings: [], affectedWorkloads: [], impact: null, changeRequest: null };
      return { value, audit: {} };
    }
    const operations: ChangeOperation[] = parsed.resources.map((resource) => ({ op: "apply", resource }));
    const { prune, ...change } = options;
    return this.uow.run((tx) => this.execute(tx, { id: principal.userId, name: principal.username }, operations, { ...change, principal, ...(prune && { prune }) }));
  }

  async delete(principal: Principal, ref: ResourceRef, options: ChangeOptions): Promise<Audited<ChangeResult>> {
    return this.uow.run((tx) => this.execute(tx, { id: principal.userId, name: principal.username }, [{ op: "delete", ref }], { ...options, principal }));
  }

  /** Restores the content of an earlier revision as a new revision (an earlier deletion deletes). */
  async rollback(principal: Principal, ref: ResourceRef, toRevision: number, options: ChangeOptions): Promise<Audited<ChangeResult>> {
    const meshId = (await this.mesh()).id;
    const target = await this.repo.revision(meshId, ref.kind, storedNamespace(ref), ref.name, toRevision);
    if (!target) throw notFound(`revision ${toRevision} of ${resourceKey(ref)}`, "toRevision");
    const operation: ChangeOperation = target.document ? { op: "apply", resource: target.document } : { op: "delete", ref };
    const message = options.message || `roll back to revision ${toRevision}`;
    return this.uow.run((tx) =>
      this.execute(tx, { id: principal.userId, name: principal.username }, [operation], { ...options, message, principal, applyAction: "restore", allowMissingDelete: true }),
    );
  }

  /**
   * Plans and (unless a dry run) applies operations inside the caller's
   * transaction: the caller needs operator rights in every namespace the
   * change touches (including the namespaces its old and new documents
   * reference); errors block, warnings pass; a change touching a protected
   * namespace by a non-admin becomes a change request instead. The audit
   * facts name the resources, their namespace and the actions; once the
   * plan is known, a failure (a blocked change) carries them too.
   */
  async execute(tx: TransactionRepositories, author: Author, requested: ChangeOperation[], options: ExecuteOptions): Promise<Audited<ChangeResult>> {
    const mesh = options.dryRun ? await tx.mesh.get() : await tx.mesh.lock();
    if (!mesh) throw new Error("the default mesh is missing; the manager creates it at start");
    const [resources, discovery] = [await tx.resources.list(mesh.id), await tx.resources.discovery()];
    const operations = options.prune ? [...requested, ...this.pruneOperations(resources, requested, options.prune)] : requested;
    const applied = operations.flatMap((o) => (o.op === "apply" ? [o.resource] : []));
    const metrics = this.sloInputs ? await this.sloInputs(tx, applied) : undefined;
    const calls = this.recentCalls && changesCallerSide(operations) ? await this.recentCalls() : undefined;
    const plan = planChange({ trustDomain: mesh.trustDomain, resources, discovery, ...(metrics ? { metrics } : {}), ...(calls ? { calls } : {}) }, operations);
    if (options.expectedRevisions) assertNotMoved(plan, options.expectedRevisions);
    const missing = plan.changes.find((c, i) => operations[i]?.op === "delete" && c.fromRevision === null);
    if (missing && !options.allowMissingDelete) throw notFound(resourceKey(missing.ref), "name");
    // Who may make the change is decided on what it touches, not only on where the documents live.
    if (options.principal) assertRole(options.principal, "OPERATOR", scopesOfNamespaces(plan.namespaces));
    await refuseRoutesOwnedByRollouts(tx, mesh.id, plan, options.rolloutRunId);
    const meshChange = meshSettingsOf(plan, mesh, discovery.workloads.length > 0);
    const audit: AuditFacts = {
      target: plan.changes.map((c) => resourceKey(c.ref)).join(", "),
      namespace: plan.namespaces.length === 1 ? plan.namespaces[0] : undefined,
      details: { dryRun: options.dryRun, actions: plan.changes.map((c) => `${c.action} ${resourceKey(c.ref)}`), ...(options.prune && { prune: formatSelector(options.prune) }) },
    };
    try {
      return await this.write(tx, author, operations, options, { mesh, plan, meshChange, audit });
    } catch (err) {
      throw withAuditFacts(err, audit);
    }
  }

  /** Pruning is planned after the mesh lock, on the same read as the rest of the change. */
  private pruneOperations(live: StoredResource[], requested: readonly ChangeOperation[], selector: LabelSelector): ChangeOperation[] {
    const pruned = planPrune(
      live,
      requested.flatMap((o) => (o.op === "apply" ? [o.resource] : [])),
      selector,
    );
    if (!pruned.ok) throw new ValidationError("INVALID_RESOURCE", pruned.issues);
    return pruned.deletions.map((ref) => ({ op: "delete", ref }));
  }

  /** The second half of `execute`: the plan is known and allowed; answers a dry run, or writes the change (or its change request). */
  private async write(
    tx: TransactionRepositories,
    author: Author,
    operations: ChangeOperation[],
    options: ExecuteOptions,
    { mesh, plan, meshChange, audit }: { mesh: MeshInfo; plan: ChangePlan; meshChange: ReturnType<typeof meshSettingsOf>; audit: AuditFacts },
  ): Promise<Audited<ChangeResult>> {
    const result = (status: ChangeResult["status"], configVersion: bigint, changeRequest: ChangeResult["changeRequest"] = null, more: Record<string, unknown> = {}): Audited<ChangeResult> => ({
      value: {
        dryRun: options.dryRun,
        status,
        configVersion,
        changes: plan.changes.map(publicChange),
        validation: { valid: true, issues: [] },
        findings: plan.findings,
        affectedWorkloads: plan.affectedWorkloads,
        impact: null,
        changeRequest,
      },
      audit: { ...audit, details: { ...audit.details, ...more } },
    });
    const effective = plan.changes.filter((c) => c.action !== "unchanged");
    if (options.dryRun) return result(plan.blocked ? "blocked" : effective.length === 0 ? "unchanged" : "dry-run", mesh.configVersion);
    if (plan.blocked) assertNoBlockingFindings(plan.findings, documentIndex(operations));
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
        return result("pending-approval", mesh.configVersion, { id: request.id, namespaces: guarded }, { changeRequestId: request.id });
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
    // The Mesh resource and the mesh row agree: status, distribution and the analyzers read the row.
    if (meshChange) await tx.mesh.updateSettings(mesh.id, meshChange);
    return result("applied", configVersion, null, { configVersion: configVersion.toString() });
  }

  /**
   * What `operations` would do against the live config now (no lock, nothing
   * written): the changes with their diffs against the current revisions,
   * the findings, and which resources moved away from `expected`.
   */
  async preview(operations: ChangeOperation[], expected: ReadonlyMap<string, number | null>): Promise<{ changes: ResourceChange[]; findings: Finding[]; moved: MovedResource[] }> {
    const mesh = await this.mesh();
    const [resources, discovery] = [await this.repo.list(mesh.id), await this.repo.discovery()];
    const plan = planChange({ trustDomain: mesh.trustDomain, resources, discovery }, operations);
    return { changes: plan.changes.map(publicChange), findings: plan.findings, moved: movedResources(plan, expected) };
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

/**
 * A route a running rollout drives is written by its controller only: a
 * person's edit (or deletion, rollback, approved change request) would fight
 * the controller step by step, so it is refused with an error naming the
 * rollout. Pause or abort the rollout, or wait for it to end, then edit.
 */
async function refuseRoutesOwnedByRollouts(tx: TransactionRepositories, meshId: string, plan: ChangePlan, rolloutRunId: string | undefined): Promise<void> {
  const routes = plan.changes.filter((c) => c.action !== "unchanged" && c.ref.kind === "HTTPRoute").map((c) => ({ namespace: c.ref.namespace ?? "default", name: c.ref.name }));
  const owners = (await tx.rollouts.owningRoutes(meshId, routes)).filter((run) => run.id !== rolloutRunId);
  const owner = owners[0];
  if (!owner) return;
  if (owner.phase === "Paused")
    throw conflict(`HTTPRoute ${owner.namespace}/${owner.routeName} is driven by rollout ${owner.namespace}/${owner.name}, which is paused but still owns it; abort the rollout (or let it finish) before editing the route`, "metadata.name");
  throw conflict(`HTTPRoute ${owner.namespace}/${owner.routeName} is driven by rollout ${owner.namespace}/${owner.name} (${owner.phase}, step ${owner.step + 1}); abort the rollout (or let it finish) before editing the route`, "metadata.name");
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

/** resourceKey → its document's index among the operations (for naming the document in analyzer errors). */
function documentIndex(operations: readonly ChangeOperation[]): (ref: ResourceRef) => number | undefined {
  const index = new Map<string, number>();
  operations.forEach((op, i) => index.set(resourceKey(op.op === "apply" ? refOf(op.resource) : op.ref), i));
  return (ref) => index.get(resourceKey(ref));
}

/** A resource that moved since a change request was made. */
export interface MovedResource {
  ref: ResourceRef;
  /** The revision the request was made against; null when the resource did not exist. */
  requestedFrom: number | null;
  /** The live revision now; null when the resource is absent (or deleted). */
  live: number | null;
}

/** The resources whose live revision differs from the one expected. */
export function movedResources(plan: ChangePlan, expected: ReadonlyMap<string, number | null>): MovedResource[] {
  const moved: MovedResource[] = [];
  for (const change of plan.changes) {
    const key = resourceKey(change.ref);
    if (!expected.has(key)) continue;
    const requestedFrom = expected.get(key) ?? null;
    if (requestedFrom !== change.fromRevision) moved.push({ ref: change.ref, requestedFrom, live: change.fromRevision });
  }
  return moved;
}

function assertNotMoved(plan: ChangePlan, expected: ReadonlyMap<string, number | null>): void {
  const moved = movedResources(plan, expected);
  if (moved.length === 0) return;
  const what = moved.map((m) => `${resourceKey(m.ref)} is at ${m.live === null ? "no live revision" : `revision ${m.live}`}, the request was made against ${m.requestedFrom === null ? "no revision" : `revision ${m.requestedFrom}`}`);
  throw conflict(`the change request is out of date: ${what.join("; ")}. Approving it would overwrite the newer change; re-submit it against the current config`, "id");
}

/**
 * The mesh settings a Mesh document in the change sets (null when the change
 * has none). The Mesh row stays the one place status, distribution and the
 * analyzers read; deleting the Mesh document leaves the row as it was. The
 * trust domain is in every workload certificate: once workloads exist it
 * changes only through a root rotation, never by editing the resource.
 */
function meshSettingsOf(plan: ChangePlan, mesh: MeshInfo, hasWorkloads: boolean): { trustDomain: string; mtlsMode: "STRICT" | "PERMISSIVE" } | null {
  const change = plan.changes.find((c) => c.action !== "unchanged" && c.after?.kind === "Mesh");
  const doc = change?.after;
  if (!doc || doc.kind !== "Mesh") return null;
  if (doc.metadata.name !== mesh.name) throw invalid(`the manager runs one mesh, named "${mesh.name}"; a Mesh resource must have that name`, "metadata.name");
  if (doc.spec.trustDomain !== mesh.trustDomain && hasWorkloads)
    throw conflict(
      `the trust domain cannot change from "${mesh.trustDomain}" to "${doc.spec.trustDomain}" while workloads exist: their certificates carry it. Changing it needs the root-rotation workflow`,
      "spec.trustDomain",
    );
  return { trustDomain: doc.spec.trustDomain, mtlsMode: doc.spec.mtls.mode };
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
