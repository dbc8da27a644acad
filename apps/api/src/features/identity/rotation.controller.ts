import { CONTROLLER_LOCKS } from "../../controllers/controller-locks.ts";
import { LeaderLoop, type LeaderTickListener } from "../../controllers/leader-loop.ts";
import type { Logger } from "../../logger.ts";
import type { TransactionRepositories, UnitOfWork } from "../../unit-of-work.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { IdentityRepository, RotationRecord } from "./identity.repository.ts";
import type { RotationStep, RotationView } from "./identity.schema.ts";
import { planRotation } from "./rotation-plan.ts";
import { rotationView } from "./rotation-view.ts";

/** Default controller period (WEFT_ROTATION_TICK). */
export const DEFAULT_ROTATION_TICK_MS = 5_000;

/** What one controller tick did. */
export interface TickResult {
  /** This replica held the controller lock (another replica's tick may be running otherwise). */
  leader: boolean;
  /** The open rotation after the tick (null when there is none). */
  rotation: RotationView | null;
}

/** What a step decided, for the work after its commit. */
interface StepResult {
  row: RotationRecord | null;
  trustChanged: boolean;
  moved: { id: string; from: RotationStep; to: RotationStep } | null;
}

/**
 * The root rotation controller: a leader-elected loop (controllers/leader-loop.ts)
 * whose step observes the active clusters, asks the pure `planRotation` what
 * to do, and writes the result (authority states, bundle bump, step,
 * progress) in the same transaction. Operators' actions are in rotation.service.ts.
 */
export class RotationController {
  private readonly loop: LeaderLoop<StepResult>;

  constructor(
    uow: UnitOfWork,
    private readonly repo: IdentityRepository,
    private readonly audit: AuditService,
    private readonly log: Logger,
    /** Called after a commit that changed what clusters trust: wakes this replica's config streams. */
    private readonly onTrustChanged: () => void,
    intervalMs = DEFAULT_ROTATION_TICK_MS,
    private readonly now: () => Date = () => new Date(),
    onTick?: LeaderTickListener,
  ) {
    this.loop = new LeaderLoop(uow, log, {
      name: "root rotation controller",
      lockKey: CONTROLLER_LOCKS.rotation,
      intervalMs,
      step: (tx) => this.step(tx),
      afterCommit: (result) => this.afterCommit(result),
      onTick,
    });
  }

  private async step(tx: TransactionRepositories): Promise<StepResult> {
    const now = this.now();
    const repo = tx.identity;
    const mesh = await repo.lockMesh();
    const rotation = await repo.openRotation(mesh.id);
    if (!rotation) return { row: null, trustChanged: false, moved: null };
    const to = await repo.authority(rotation.toAuthorityId);
    if (!to) return { row: rotation, trustChanged: false, moved: null };
    const decision = planRotation(rotation, await repo.observeClusters(mesh.id, to, now));
    for (const action of decision.actions) {
      if (action === "activate-new") {
        await repo.setAuthorityState(rotation.toAuthorityId, "ACTIVE", now);
        await repo.setAuthorityState(rotation.fromAuthorityId, "DRAINING", now);
      } else {
        await repo.setAuthorityState(rotation.fromAuthorityId, "RETIRED", now);
      }
    }
    const awaitBundleVersion = decision.awaitNewBundle ? await repo.bumpTrustBundle(mesh.id) : rotation.awaitBundleVersion;
    const history = [...rotation.history];
    const moved = decision.step !== rotation.step ? { id: rotation.id, from: rotation.step, to: decision.step } : null;
    if (moved) history.push({ step: decision.step, at: now.toISOString(), by: "controller", action: "advance" });
    const row = await repo.updateRotation(rotation.id, {
      step: decision.step,
      awaitBundleVersion: decision.step === rotation.step ? rotation.awaitBundleVersion : decision.awaitNewBundle ? awaitBundleVersion : null,
      progress: { ...decision.progress, computedAt: now.toISOString() },
      history,
      ...(decision.completed ? { completedAt: now } : {}),
    });
    return { row, trustChanged: decision.awaitNewBundle, moved };
  }

  private async afterCommit({ trustChanged, moved }: StepResult): Promise<void> {
    if (trustChanged) this.onTrustChanged();
    if (!moved) return;
    this.log.info({ rotation: moved.id, from: moved.from, to: moved.to }, `root rotation moved to ${moved.to}`);
    await this.audit.record({ actor: null, actorName: "system", action: "identity.rotation.advance", outcome: "SUCCESS", target: `RootRotation/${moved.id}`, details: { from: moved.from, to: moved.to } });
  }

  /** One controller pass now (tests call it instead of waiting for the timer). */
  async tick(): Promise<TickResult> {
    const outcome = await this.loop.tick();
    if (!outcome.leader) return { leader: false, rotation: null };
    return { leader: true, rotation: outcome.result.row && (await rotationView(this.repo, outcome.result.row)) };
  }

  /** Ticks every WEFT_ROTATION_TICK on every replica; the advisory lock lets one advance a rotation at a time. */
  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
