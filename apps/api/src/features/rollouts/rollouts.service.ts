// Rollouts as operators drive them: start a run (from a Rollout document,
// stored through the change path in the same transaction, or from a stored
// Rollout), the operations (pause, resume, promote, approve, abort, retry —
// decided by mesh-model's applyOperation and written like a controller
// step), and the views. The controller loop is in rollout.controller.ts.
import { randomBytes } from "node:crypto";
import {
  applyOperation,
  initialRunState,
  isTerminal,
  ownedRoute,
  planOf,
  resourceKey,
  RolloutOperationError,
  ValidationError,
  type HTTPRoute,
  type Rollout,
  type RolloutOperation,
  type ValidationIssue,
} from "@weft/mesh-model";
import { roleAtLeast, roleIn, type Principal, type Scope } from "../../access.ts";
import { conflict, invalid, notFound } from "../../errors.ts";
import { urlRefusal, type EgressPolicy } from "../../transport/egress-policy.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { Audited } from "../audit/audit-facts.ts";
import type { ChangeResult } from "../resources/change-plan.ts";
import type { ParsedDocuments, ResourcesService } from "../resources/resources.service.ts";
import type { MeshInfo } from "../mesh/mesh.repository.ts";
import type { RolloutsRepository, RunRecord } from "./rollouts.repository.ts";
import type { RolloutRunWriter } from "./rollout-run-writer.ts";
import { detailOf, summaryOf, type RolloutRunDetail, type RolloutRunSummary } from "./rollout-views.ts";

/** What `rollouts.start` was given, once read. */
export interface StartRolloutInput {
  message: string;
  source: { kind: "document"; parsed: ParsedDocuments } | { kind: "stored"; namespace: string; name: string };
}

export interface StartResult {
  /** `started`; or `pending-approval`: the Rollout went to a change request (protected namespace) and no run started. */
  status: "started" | "pending-approval";
  run: RolloutRunSummary | null;
  /** The change that stored the Rollout document (null when a stored Rollout was started). */
  change: ChangeResult | null;
}

export interface RunRefInput {
  id?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
}

export class RolloutsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: RolloutsRepository,
    private readonly resources: ResourcesService,
    private readonly writer: RolloutRunWriter,
    private readonly mesh: () => Promise<MeshInfo>,
    private readonly now: () => Date,
    /** Called after a commit that changed a run: the controller ticks soon. */
    private readonly changed: () => void,
    /** Where the manager may connect (WEFT_OUTBOUND_ALLOW): webhooks naming a refused address are refused at start. */
    private readonly egress: EgressPolicy,
  ) {}

  /** Refuses a Rollout whose webhook URL names an address the egress policy refuses; host names are judged when called. */
  private refuseUnreachableWebhooks(rollout: Rollout): void {
    (rollout.spec.analysis.webhooks ?? []).forEach((hook, i) => {
      const refusal = urlRefusal(this.egress, hook.url);
      if (refusal) throw invalid(refusal.message.replace(/^refused to connect: /, "the manager will not connect there: "), `spec.analysis.webhooks[${i}].url`);
    });
  }

  private async find(ref: RunRefInput, repo: Pick<RolloutsRepository, "byId" | "latest"> = this.repo, meshId: () => Promise<string> = async () => (await this.mesh()).id): Promise<RunRecord> {
    if (ref.id) {
      const run = await repo.byId(ref.id);
      if (!run) throw notFound(`rollout run ${ref.id}`, "id");
      return run;
    }
    const namespace = ref.namespace ?? "default";
    const run = await repo.latest(await meshId(), namespace, ref.name ?? "");
    if (!run) throw notFound(`a run of Rollout ${namespace}/${ref.name}`, "name");
    return run;
  }

  /** The namespace a reference acts on (for access checks); an unknown id is NOT_FOUND. */
  async scopesOf(ref: RunRefInput): Promise<Scope[]> {
    return [{ namespace: ref.id ? (await this.find(ref)).namespace : (ref.namespace ?? "default") }];
  }

  async list(principal: Principal, filter: { namespace?: string | undefined; state: "active" | "finished" | "all"; limit: number }): Promise<RolloutRunSummary[]> {
    // Mesh-wide viewers read every namespace; others the namespaces a binding lets them read.
    const readable = roleAtLeast(principal.role, "VIEWER") ? undefined : [...new Set(principal.bindings.filter((b) => b.namespace !== null).map((b) => b.namespace as string))];
    const namespaces = filter.namespace ? (readable && !readable.includes(filter.namespace) ? [] : [filter.namespace]) : readable;
    const runs = await this.repo.list((await this.mesh()).id, { namespaces, active: filter.state === "all" ? undefined : filter.state === "active", limit: filter.limit });
    return runs.filter((r) => roleAtLeast(roleIn(principal, { namespace: r.namespace }), "VIEWER")).map(summaryOf);
  }

  async get(ref: RunRefInput): Promise<RolloutRunDetail> {
    const run = await this.find(ref);
    const [steps, checks, events, approvals] = [await this.repo.steps(run.id), await this.repo.checks(run.id, 500), await this.repo.events(run.id, 500), await this.repo.approvals(run.id)];
    return detailOf(run, { steps, checks, events, approvals });
  }

  /**
   * Starts a run, in one transaction: the Rollout document (if given) is
   * stored as a revision through the change path (validated, analyzed,
   * audited; a protected namespace makes it a change request and nothing
   * starts), then the run is created, pinned to that revision. A service
   * runs one rollout at a time.
   */
  async start(principal: Principal, input: StartRolloutInput): Promise<Audited<StartResult>> {
    const result = await this.uow.run(async (tx): Promise<Audited<StartResult>> => {
      let change: ChangeResult | null = null;
      let rollout: Rollout;
      if (input.source.kind === "document") {
        rollout = onlyRollout(input.source.parsed);
        this.refuseUnreachableWebhooks(rollout);
        await this.refuseOverlap(tx, rollout);
        change = (await this.resources.execute(tx, { id: principal.userId, name: principal.username }, [{ op: "apply", resource: rollout }], { dryRun: false, message: input.message || `start rollout ${rollout.metadata.name}`, principal })).value;
        if (change.status === "pending-approval") return { value: { status: "pending-approval", run: null, change }, audit: { target: `Rollout/${rollout.metadata.namespace ?? "default"}/${rollout.metadata.name}`, namespace: rollout.metadata.namespace ?? "default", details: { changeRequest: change.changeRequest?.id } } };
      } else {
        const stored = await tx.resources.find(await meshIdIn(tx), "Rollout", input.source.namespace, input.source.name);
        if (!stored || stored.deleted || stored.document?.kind !== "Rollout") throw notFound(`Rollout/${input.source.namespace}/${input.source.name}`, "name");
        rollout = stored.document;
        this.refuseUnreachableWebhooks(rollout);
        await this.refuseOverlap(tx, rollout);
      }
      const namespace = rollout.metadata.namespace ?? "default";
      const mesh = { id: await meshIdIn(tx) };
      const stored = await tx.resources.find(mesh.id, "Rollout", namespace, rollout.metadata.name);
      if (!stored?.document || stored.document.kind !== "Rollout") throw notFound(`Rollout/${namespace}/${rollout.metadata.name}`, "name");
      const routes = (await tx.resources.list(mesh.id, { kind: "HTTPRoute" })).flatMap((r) => (r.document?.kind === "HTTPRoute" ? [r.document as HTTPRoute] : []));
      const owned = ownedRoute(stored.document, routes);
      if (owned.ambiguous.length > 1) throw conflict(`service ${namespace}/${rollout.spec.service.name} has ${owned.ambiguous.length} HTTPRoutes (${owned.ambiguous.join(", ")}); name the one to drive in spec.route.name`, "spec.route");
      const run = await tx.rollouts.create({
        meshId: mesh.id,
        namespace,
        name: rollout.metadata.name,
        rolloutRevision: stored.revision,
        document: stored.document,
        routeName: owned.name,
        baseRoute: owned.base,
        state: initialRunState(this.now()),
        affinityToken: randomBytes(12).toString("hex"),
        startedBy: principal.username,
      });
      await tx.rollouts.addEvents(run.id, [{ attempt: 1, wave: 0, step: 0, at: this.now(), type: "started", message: `started by ${principal.username} (Rollout revision ${stored.revision}): ${rollout.spec.service.name} ${rollout.spec.stable.version} → ${rollout.spec.canary.version}`, actor: principal.username }]);
      return { value: { status: "started", run: summaryOf(run), change }, audit: { target: `Rollout/${namespace}/${rollout.metadata.name}`, namespace, details: { runId: run.id, revision: stored.revision } } };
    });
    if (result.value.run) this.changed();
    return result;
  }

  private async refuseOverlap(tx: TransactionRepositories, rollout: Rollout): Promise<void> {
    const namespace = rollout.metadata.namespace ?? "default";
    const active = await tx.rollouts.activeOn(namespace, rollout.spec.service.name);
    if (active) throw conflict(`service ${namespace}/${rollout.spec.service.name} is already being rolled out by ${active.namespace}/${active.name} (${active.phase}); one service runs one rollout at a time`, "spec.service.name");
  }

  /** Applies an operator's operation to the run, as the controller would write a step. */
  async operate(principal: Principal, ref: RunRefInput, operation: RolloutOperation, approval?: { gate: string; comment: string }): Promise<Audited<RolloutRunSummary>> {
    const result = await this.uow.run(async (tx) => {
      const found = await this.find(ref, tx.rollouts, () => meshIdIn(tx));
      const run = await tx.rollouts.lock(found.id);
      if (!run) throw notFound(`rollout run ${found.id}`, "id");
      if (operation.op === "retry") {
        const other = await tx.rollouts.activeOn(run.namespace, run.service);
        if (other && other.id !== run.id) throw conflict(`service ${run.namespace}/${run.service} is being rolled out by ${other.namespace}/${other.name}; it cannot run two rollouts at once`, "id");
      }
      const now = this.now();
      const spec = run.document.spec;
      let decision;
      try {
        decision = applyOperation(spec, planOf(spec), run.state, operation, now);
      } catch (err) {
        if (err instanceof RolloutOperationError) throw conflict(err.message, "id");
        throw err;
      }
      const gate = approval?.gate ?? (operation.op === "promote" ? (operation.full ? "full" : "step") : null);
      if (gate) await tx.rollouts.addApproval(run.id, { attempt: run.state.attempt, wave: run.state.wave, step: run.state.step, gate, approverId: principal.userId, approverName: principal.username, at: now, comment: approval?.comment ?? "" });
      const written = await this.writer.write(tx, run, decision, { now, ...(operation.op === "retry" ? { reactivate: true } : {}) });
      return written.run;
    });
    this.changed();
    return { value: summaryOf(result), audit: { target: `Rollout/${result.namespace}/${result.name}`, namespace: result.namespace, details: { runId: result.id, operation: operation.op, phase: result.phase, step: result.step + 1, ...(operation.op === "abort" && operation.reason ? { reason: operation.reason } : {}) } } };
  }

  /** Releases the gate the run waits at, recording the approver; refused when nothing waits. */
  async approve(principal: Principal, ref: RunRefInput, comment: string): Promise<Audited<RolloutRunSummary>> {
    const run = await this.find(ref);
    if (!run.awaitingApproval) throw conflict(`rollout ${run.namespace}/${run.name} is ${isTerminal(run.phase) ? run.phase : `at ${summaryOf(run).stepLabel}, ${run.phase}`}: nothing waits for an approval`, "id");
    const gate = run.document.spec.promotion === "Manual" && planOf(run.document.spec).steps[run.step]?.kind === "promote" ? "promotion" : "step";
    return this.operate(principal, { id: run.id }, { op: "promote", by: principal.username, full: false }, { gate, comment });
  }
}

/** The mesh's id, read inside the unit of work (the embedded database has one connection: no second one may be asked for). */
async function meshIdIn(tx: TransactionRepositories): Promise<string> {
  const mesh = await tx.mesh.get();
  if (!mesh) throw new Error("the default mesh is missing; the manager creates it at start");
  return mesh.id;
}

/** The one Rollout among submitted documents; every problem with its path. */
function onlyRollout(parsed: ParsedDocuments): Rollout {
  if (!parsed.ok) throw new ValidationError(parsed.code, parsed.issues);
  const issues: ValidationIssue[] = [];
  if (parsed.resources.length !== 1) issues.push({ path: "", message: `send one Rollout document, got ${parsed.resources.length} documents`, code: "one_rollout" });
  parsed.resources.forEach((r, document) => {
    if (r.kind !== "Rollout") issues.push({ path: "kind", message: `${resourceKey({ kind: r.kind, name: r.metadata.name })} is not a Rollout: apply other kinds with resources.applyDocuments`, code: "not_a_rollout", document });
  });
  if (issues.length > 0) throw new ValidationError("INVALID_RESOURCE", issues);
  return parsed.resources[0] as Rollout;
}
