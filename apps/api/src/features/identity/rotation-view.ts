import type { AuthorityRecord, IdentityRepository, RotationRecord } from "./identity.repository.ts";
import type { RotationView } from "./identity.schema.ts";

/** A rotation as the API shows it: its authorities summarized (from `authorities` when given, else read). */
export async function rotationView(repo: IdentityRepository, row: RotationRecord, authorities?: AuthorityRecord[]): Promise<RotationView> {
  const find = async (id: string) => authorities?.find((a) => a.id === id) ?? (await repo.authority(id));
  const summary = (a: AuthorityRecord | null | undefined, id: string) => ({ id, anchorFingerprint: a?.anchorFingerprint ?? "", subject: a?.subject ?? "" });
  return {
    id: row.id,
    step: row.step,
    paused: row.paused,
    from: summary(await find(row.fromAuthorityId), row.fromAuthorityId),
    to: summary(await find(row.toAuthorityId), row.toAuthorityId),
    awaitBundleVersion: row.awaitBundleVersion === null ? null : row.awaitBundleVersion.toString(),
    progress: row.progress,
    startedBy: row.startedBy,
    history: row.history,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    completedAt: row.completedAt,
  };
}
