import type { Prisma, PrismaClient } from "@weft/db";
import type { AuditNote } from "../../context.ts";
import { conflict, invalid, notFound, preconditionFailed } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { AuditService } from "../audit/audit.service.ts";
import { IdentityRepository, type AuthorityRecord, type RotationRecord } from "./identity.repository.ts";
import type { ImportAuthorityInput, RotationProgress, RotationStep, RotationView } from "./identity.schema.ts";
import { generateSealedRoot, importSealedAuthority, requireCaKey } from "./mesh-authority.ts";
import { planRotation, REVERSIBLE_STEPS } from "./rotation-plan.ts";

/** Advisory lock key of the rotation controller ("weftrot"): one replica advances rotations at a time. */
export const ROTATION_LOCK_KEY = 0x77656674726f74n;

/** Default controller period. */
export const DEFAULT_ROTATION_TICK_MS = 5_000;

interface HistoryEntry {
  step: RotationStep;
  at: string;
  by: string;
  action: string;
}

const EMPTY_PROGRESS: RotationProgress = { computedAt: null, clusters: [], waitingFor: [] };

function historyOf(row: RotationRecord): HistoryEntry[] {
  return Array.isArray(row.history) ? (row.history as HistoryEntry[]) : [];
}

function progressOf(row: RotationRecord): RotationProgress {
  const p = row.progress as Partial<RotationProgress> | null;
  return p && Array.isArray(p.clusters) ? { ...EMPTY_PROGRESS, ...p } : EMPTY_PROGRESS;
}

/** What one controller tick did. */
export interface TickResult {
  /** This replica held the controller lock (another replica's tick may be running otherwise). */
  leader: boolean;
  /** The open rotation after the tick (null when there is none). */
  rotation: RotationView | null;
}

/**
 * Staged root rotations: operators start, pause, resume and reverse them;
 * the controller (`tick`, leader-elected by a PostgreSQL advisory lock)
 * advances them step by step as clusters catch up. All state lives in
 * RootRotation, so a restarted or different replica carries on. The step
 * logic is the pure `planRotation`; this class only reads and writes.
 */
export class RotationService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly audit: AuditService,
    private readonly log: Logger,
    private readonly caKey: Buffer | null,
    private readonly onTrustChanged: () => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get repo(): IdentityRepository {
    return new IdentityRepository(this.prisma);
  }

  private async view(row: RotationRecord, authorities?: AuthorityRecord[]): Promise<RotationView> {
    const find = async (id: string) => authorities?.find((a) => a.id === id) ?? (await this.repo.authority(id));
    const summary = (a: AuthorityRecord | null | undefined, id: string) => ({ id, anchorFingerprint: a?.anchorFingerprint ?? "", subject: a?.subject ?? "" });
    return {
      id: row.id,
      step: row.step,
      paused: row.paused,
      from: summary(await find(row.fromAuthorityId), row.fromAuthorityId),
      to: summary(await find(row.toAuthorityId), row.toAuthorityId),
      awaitBundleVersion: row.awaitBundleVersion === null ? null : row.awaitBundleVersion.toString(),
      progress: progressOf(row),
      startedBy: row.startedBy,
      history: historyOf(row),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      completedAt: row.completedAt,
    };
  }

  /**
   * Starts a rotation to a new root (generated, or the operator's `import`):
   * the new CA is STAGED and its root joins every bundle (trust bundle
   * bumped); step ADD_ROOT then waits for every active cluster to run it.
   * One rotation at a time (CONFLICT otherwise).
   */
  async start(input: { import?: ImportAuthorityInput | undefined }, by: string, note?: AuditNote): Promise<RotationView> {
    const caKey = requireCaKey(this.caKey);
    const mesh = await this.repo.mesh();
    if (!(await this.repo.activeAuthorityWithKey(mesh.id))) throw preconditionFailed("the mesh has no CA yet");
    if (await this.repo.openRotation(mesh.id)) throw conflict("a root rotation is already in progress: finish or reverse it first");
    const sealed = input.import ? importSealedAuthority(input.import, mesh.trustDomain, caKey, "import.") : await generateSealedRoot(mesh.trustDomain, caKey);
    const trusted = (await this.repo.authorities(mesh.id)).filter((a) => a.state !== "RETIRED");
    if (trusted.some((a) => a.anchorFingerprint === sealed.anchorFingerprint))
      throw invalid("this CA chains to a root the mesh already trusts; a rotation needs a new root", "import.certificatePem");
    const at = this.now();
    const row = await IdentityRepository.transaction(this.prisma, async (repo) => {
      const locked = await repo.lockMesh();
      if (await repo.openRotation(locked.id)) throw conflict("a root rotation is already in progress: finish or reverse it first");
      const active = await repo.activeAuthorityWithKey(locked.id);
      if (!active) throw preconditionFailed("the mesh has no CA yet");
      await repo.insertAuthority({ ...sealed, meshId: locked.id, state: "STAGED" });
      const version = await repo.bumpTrustBundle(locked.id);
      const history: HistoryEntry[] = [{ step: "ADD_ROOT", at: at.toISOString(), by, action: "start" }];
      return repo.createRotation({ meshId: locked.id, fromAuthorityId: active.id, toAuthorityId: sealed.id, awaitBundleVersion: version, startedBy: by, history: history as unknown as Prisma.InputJsonArray });
    });
    this.onTrustChanged();
    if (note) {
      note.target = `RootRotation/${row.id}`;
      note.details = { origin: sealed.origin, newAnchorFingerprint: sealed.anchorFingerprint, subject: sealed.subject };
    }
    this.log.info({ rotation: row.id, newAnchorFingerprint: sealed.anchorFingerprint, origin: sealed.origin }, "root rotation started");
    return this.view(row);
  }

  /** A rotation by id; without one, the open rotation, else the latest; null when there never was one. */
  async get(id?: string): Promise<RotationView | null> {
    const mesh = await this.repo.mesh();
    const row = id ? await this.repo.rotation(id) : ((await this.repo.openRotation(mesh.id)) ?? (await this.repo.latestRotation(mesh.id)));
    if (id && !row) throw notFound(`rotation ${id}`, "id");
    return row && this.view(row);
  }

  /** Rotations, newest first. */
  async list(limit = 50): Promise<RotationView[]> {
    const mesh = await this.repo.mesh();
    const authorities = await this.repo.authorities(mesh.id);
    return Promise.all((await this.repo.rotations(mesh.id, limit)).map((r) => this.view(r, authorities)));
  }

  /** Applies an operator action to an open rotation, serialized with the controller on the mesh row. */
  private async act(id: string, action: "pause" | "resume" | "reverse", by: string, note?: AuditNote): Promise<RotationView> {
    if (note) note.target = `RootRotation/${id}`;
    const at = this.now();
    let trustChanged = false;
    const row = await IdentityRepository.transaction(this.prisma, async (repo) => {
      const mesh = await repo.lockMesh();
      const found = await repo.rotation(id);
      if (!found || found.meshId !== mesh.id) throw notFound(`rotation ${id}`, "id");
      if (found.completedAt) throw conflict(`the rotation is finished (${found.step})`, "id");
      const history = [...historyOf(found)];
      if (action === "reverse") {
        if (!REVERSIBLE_STEPS.includes(found.step)) throw conflict(`the old root has left the bundles (step ${found.step}): a rotation can be reversed only before REMOVE_OLD_ROOT`, "id");
        if (found.reversedAt) throw conflict("the rotation is already being reversed", "id");
        await repo.setAuthorityState(found.fromAuthorityId, "ACTIVE", at);
        trustChanged = true;
        if (found.step === "ADD_ROOT") {
          // The new root never signed anything: it can leave the bundles at once.
          await repo.setAuthorityState(found.toAuthorityId, "RETIRED", at);
          await repo.bumpTrustBundle(mesh.id);
          history.push({ step: "REVERSED", at: at.toISOString(), by, action });
          return repo.updateRotation(id, { step: "REVERSED", paused: false, awaitBundleVersion: null, completedAt: at, reversedAt: at, history: history as unknown as Prisma.InputJsonArray });
        }
        // Intermediates (and workload certificates) under the new root exist: it stays trusted
        // (DRAINING) while the same steps carry every cluster back to the old root, then leaves.
        await repo.setAuthorityState(found.toAuthorityId, "DRAINING", at);
        const awaitBundleVersion = await repo.bumpTrustBundle(mesh.id);
        history.push({ step: "ISSUE_INTERMEDIATES", at: at.toISOString(), by, action });
        return repo.updateRotation(id, {
          step: "ISSUE_INTERMEDIATES",
          paused: false,
          awaitBundleVersion,
          reversedAt: at,
          fromAuthorityId: found.toAuthorityId,
          toAuthorityId: found.fromAuthorityId,
          history: history as unknown as Prisma.InputJsonArray,
        });
      }
      const paused = action === "pause";
      if (found.paused === paused) return found;
      history.push({ step: found.step, at: at.toISOString(), by, action });
      return repo.updateRotation(id, { paused, history: history as unknown as Prisma.InputJsonArray });
    });
    if (trustChanged) this.onTrustChanged();
    this.log.info({ rotation: id, action, step: row.step }, `root rotation ${action}`);
    return this.view(row);
  }

  /** Stops advancing the rotation (progress is still computed). */
  pause(id: string, by: string, note?: AuditNote): Promise<RotationView> {
    return this.act(id, "pause", by, note);
  }

  resume(id: string, by: string, note?: AuditNote): Promise<RotationView> {
    return this.act(id, "resume", by, note);
  }

  /**
   * Before REMOVE_OLD_ROOT: the old CA signs again. From ADD_ROOT the new root
   * leaves the bundles at once; later, it stays trusted until every cluster
   * is back on the old root (the steps run again with from/to swapped), so
   * no workload certificate issued under it is refused meanwhile.
   */
  reverse(id: string, by: string, note?: AuditNote): Promise<RotationView> {
    return this.act(id, "reverse", by, note);
  }

  /**
   * One controller pass: when this replica wins the advisory lock, observes
   * the active clusters, asks `planRotation` what to do, and writes the
   * result (authority states, bundle bump, step, progress) in the same
   * transaction. The lock is transaction-scoped, so no connection is held
   * between ticks. Tests call it directly instead of waiting for the timer.
   */
  async tick(): Promise<TickResult> {
    const now = this.now();
    let trustChanged = false;
    let moved: { from: RotationStep; to: RotationStep; id: string } | null = null;
    const result = await IdentityRepository.transaction(this.prisma, async (repo): Promise<{ leader: boolean; row: RotationRecord | null }> => {
      if (!(await repo.tryControllerLock(ROTATION_LOCK_KEY))) return { leader: false, row: null };
      const mesh = await repo.lockMesh();
      const rotation = await repo.openRotation(mesh.id);
      if (!rotation) return { leader: true, row: null };
      const to = await repo.authority(rotation.toAuthorityId);
      if (!to) return { leader: true, row: rotation };
      const decision = planRotation(rotation, await repo.observeClusters(mesh.id, to, now));
      let awaitBundleVersion = rotation.awaitBundleVersion;
      for (const action of decision.actions) {
        if (action === "activate-new") {
          await repo.setAuthorityState(rotation.toAuthorityId, "ACTIVE", now);
          await repo.setAuthorityState(rotation.fromAuthorityId, "DRAINING", now);
        } else {
          await repo.setAuthorityState(rotation.fromAuthorityId, "RETIRED", now);
        }
      }
      if (decision.awaitNewBundle) {
        awaitBundleVersion = await repo.bumpTrustBundle(mesh.id);
        trustChanged = true;
      }
      const history = [...historyOf(rotation)];
      if (decision.step !== rotation.step) {
        history.push({ step: decision.step, at: now.toISOString(), by: "controller", action: "advance" });
        moved = { from: rotation.step, to: decision.step, id: rotation.id };
      }
      const row = await repo.updateRotation(rotation.id, {
        step: decision.step,
        awaitBundleVersion: decision.step === rotation.step ? rotation.awaitBundleVersion : decision.awaitNewBundle ? awaitBundleVersion : null,
        progress: { ...decision.progress, computedAt: now.toISOString() } as unknown as Prisma.InputJsonObject,
        history: history as unknown as Prisma.InputJsonArray,
        ...(decision.completed ? { completedAt: now } : {}),
      });
      return { leader: true, row };
    });
    if (trustChanged) this.onTrustChanged();
    const step = moved as { from: RotationStep; to: RotationStep; id: string } | null;
    if (step) {
      this.log.info({ rotation: step.id, from: step.from, to: step.to }, `root rotation moved to ${step.to}`);
      await this.audit.record({ actor: null, actorName: "system", action: "identity.rotation.advance", outcome: "SUCCESS", target: `RootRotation/${step.id}`, details: { from: step.from, to: step.to } });
    }
    return { leader: result.leader, rotation: result.row && (await this.view(result.row)) };
  }

  /** Runs `tick` every `intervalMs` until `stop` (never two at once on this replica). */
  startLoop(intervalMs = DEFAULT_ROTATION_TICK_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick()
        .catch((err: unknown) => this.log.warn({ err }, "root rotation controller tick failed; retrying next tick"))
        .finally(() => {
          this.running = null;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
