import { conflict, invalid, notFound, preconditionFailed } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { UnitOfWork } from "../../unit-of-work.ts";
import type { Audited } from "../audit/audit-facts.ts";
import type { IdentityRepository, RotationHistoryEntry, RotationRecord } from "./identity.repository.ts";
import type { ImportAuthorityInput, RotationStep, RotationView } from "./identity.schema.ts";
import { generateSealedRoot, importSealedAuthority, requireCaKey } from "./mesh-authority.ts";
import { REVERSIBLE_STEPS } from "./rotation-plan.ts";
import { rotationView } from "./rotation-view.ts";

/**
 * Staged root rotations as operators drive them: start, pause, resume and
 * reverse. The controller that advances them step by step as clusters
 * catch up is rotation.controller.ts; both keep all state in RootRotation,
 * serialized on the mesh row.
 */
export class RotationService {
  constructor(
    private readonly repo: IdentityRepository,
    private readonly uow: UnitOfWork,
    private readonly log: Logger,
    private readonly caKey: Buffer | null,
    /** Called after a commit that changed what clusters trust: wakes this replica's config streams. */
    private readonly onTrustChanged: () => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Starts a rotation to a new root (generated, or the operator's `import`):
   * the new CA is STAGED and its root joins every bundle (trust bundle
   * bumped); step ADD_ROOT then waits for every active cluster to run it.
   * One rotation at a time (CONFLICT otherwise).
   */
  async start(input: { import?: ImportAuthorityInput | undefined }, by: string): Promise<Audited<RotationView>> {
    const caKey = requireCaKey(this.caKey);
    const mesh = await this.repo.mesh();
    if (!(await this.repo.activeAuthorityWithKey(mesh.id))) throw preconditionFailed("the mesh has no CA yet");
    if (await this.repo.openRotation(mesh.id)) throw conflict("a root rotation is already in progress: finish or reverse it first");
    const sealed = input.import ? importSealedAuthority(input.import, mesh.trustDomain, caKey, "import.") : await generateSealedRoot(mesh.trustDomain, caKey);
    const trusted = (await this.repo.authorities(mesh.id)).filter((a) => a.state !== "RETIRED");
    if (trusted.some((a) => a.anchorFingerprint === sealed.anchorFingerprint))
      throw invalid("this CA chains to a root the mesh already trusts; a rotation needs a new root", "import.certificatePem");
    const at = this.now();
    const row = await this.uow.run(async ({ identity: repo }) => {
      const locked = await repo.lockMesh();
      if (await repo.openRotation(locked.id)) throw conflict("a root rotation is already in progress: finish or reverse it first");
      const active = await repo.activeAuthorityWithKey(locked.id);
      if (!active) throw preconditionFailed("the mesh has no CA yet");
      await repo.insertAuthority({ ...sealed, meshId: locked.id, state: "STAGED" });
      const version = await repo.bumpTrustBundle(locked.id);
      return repo.createRotation({ meshId: locked.id, fromAuthorityId: active.id, toAuthorityId: sealed.id, awaitBundleVersion: version, startedBy: by, history: [{ step: "ADD_ROOT", at: at.toISOString(), by, action: "start" }] });
    });
    this.onTrustChanged();
    this.log.info({ rotation: row.id, newAnchorFingerprint: sealed.anchorFingerprint, origin: sealed.origin }, "root rotation started");
    return {
      value: await rotationView(this.repo, row),
      audit: { target: `RootRotation/${row.id}`, details: { origin: sealed.origin, newAnchorFingerprint: sealed.anchorFingerprint, subject: sealed.subject } },
    };
  }

  /** A rotation by id; without one, the open rotation, else the latest; null when there never was one. */
  async get(id?: string): Promise<RotationView | null> {
    const mesh = await this.repo.mesh();
    const row = id ? await this.repo.rotation(id) : ((await this.repo.openRotation(mesh.id)) ?? (await this.repo.latestRotation(mesh.id)));
    if (id && !row) throw notFound(`rotation ${id}`, "id");
    return row && rotationView(this.repo, row);
  }

  /** Rotations, newest first. */
  async list(limit = 50): Promise<RotationView[]> {
    const mesh = await this.repo.mesh();
    const authorities = await this.repo.authorities(mesh.id);
    return Promise.all((await this.repo.rotations(mesh.id, limit)).map((r) => rotationView(this.repo, r, authorities)));
  }

  /** Applies an operator action to an open rotation, serialized with the controller on the mesh row. */
  private async act(id: string, action: "pause" | "resume" | "reverse", by: string, expectedStep?: RotationStep): Promise<RotationView> {
    const at = this.now();
    let trustChanged = false;
    const row = await this.uow.run(async ({ identity: repo }): Promise<RotationRecord> => {
      const mesh = await repo.lockMesh();
      const found = await repo.rotation(id);
      if (!found || found.meshId !== mesh.id) throw notFound(`rotation ${id}`, "id");
      if (expectedStep !== undefined && found.step !== expectedStep) throw conflict(`the rotation moved on from ${expectedStep} to ${found.step} since it was asked: nothing was done`, "step");
      if (found.completedAt) throw conflict(`the rotation is finished (${found.step})`, "id");
      const history: RotationHistoryEntry[] = [...found.history];
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
          return repo.updateRotation(id, { step: "REVERSED", paused: false, awaitBundleVersion: null, completedAt: at, reversedAt: at, history });
        }
        // Intermediates (and workload certificates) under the new root exist: it stays trusted
        // (DRAINING) while the same steps carry every cluster back to the old root, then leaves.
        await repo.setAuthorityState(found.toAuthorityId, "DRAINING", at);
        const awaitBundleVersion = await repo.bumpTrustBundle(mesh.id);
        history.push({ step: "ISSUE_INTERMEDIATES", at: at.toISOString(), by, action });
        return repo.updateRotation(id, { step: "ISSUE_INTERMEDIATES", paused: false, awaitBundleVersion, reversedAt: at, fromAuthorityId: found.toAuthorityId, toAuthorityId: found.fromAuthorityId, history });
      }
      const paused = action === "pause";
      if (found.paused === paused) return found;
      history.push({ step: found.step, at: at.toISOString(), by, action });
      return repo.updateRotation(id, { paused, history });
    });
    if (trustChanged) this.onTrustChanged();
    this.log.info({ rotation: id, action, step: row.step }, `root rotation ${action}`);
    return rotationView(this.repo, row);
  }

  /** Stops advancing the rotation (progress is still computed). */
  pause(id: string, by: string): Promise<RotationView> {
    return this.act(id, "pause", by);
  }

  resume(id: string, by: string): Promise<RotationView> {
    return this.act(id, "resume", by);
  }

  /**
   * Before REMOVE_OLD_ROOT: the old CA signs again. From ADD_ROOT the new root
   * leaves the bundles at once; later, it stays trusted until every cluster
   * is back on the old root (the steps run again with from/to swapped), so
   * no workload certificate issued under it is refused meanwhile.
   */
  reverse(id: string, by: string, expectedStep?: RotationStep): Promise<RotationView> {
    return this.act(id, "reverse", by, expectedStep);
  }
}
