-- RoleBinding's unique key (userId, namespace, cluster) did not hold while the
-- columns were nullable: PostgreSQL treats NULLs as distinct, so the same
-- grant could be stored twice. "" now means "not set".

-- Bindings that only the NULLs kept apart: keep the newest of each.
DELETE FROM "RoleBinding" AS older
USING "RoleBinding" AS newer
WHERE older."userId" = newer."userId"
  AND COALESCE(older."namespace", '') = COALESCE(newer."namespace", '')
  AND COALESCE(older."cluster", '') = COALESCE(newer."cluster", '')
  AND (older."createdAt", older."id") < (newer."createdAt", newer."id");

UPDATE "RoleBinding" SET "namespace" = '' WHERE "namespace" IS NULL;
UPDATE "RoleBinding" SET "cluster" = '' WHERE "cluster" IS NULL;

-- AlterTable
ALTER TABLE "RoleBinding" ALTER COLUMN "namespace" SET NOT NULL,
ALTER COLUMN "namespace" SET DEFAULT '',
ALTER COLUMN "cluster" SET NOT NULL,
ALTER COLUMN "cluster" SET DEFAULT '';
