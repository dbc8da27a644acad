-- CreateEnum
CREATE TYPE "AuthorityState" AS ENUM ('ACTIVE', 'STAGED', 'DRAINING', 'RETIRED');

-- CreateEnum
CREATE TYPE "RotationStep" AS ENUM ('ADD_ROOT', 'ISSUE_INTERMEDIATES', 'MIGRATE_WORKLOADS', 'REMOVE_OLD_ROOT', 'COMPLETED', 'REVERSED');

-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "telemetrySeq" BIGINT,
ADD COLUMN     "trustBundleAckAt" TIMESTAMP(3),
ADD COLUMN     "trustBundleVersion" BIGINT;

-- AlterTable
ALTER TABLE "EdgeMinute" ADD COLUMN     "mtlsRequests" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Mesh" ADD COLUMN     "trustBundleVersion" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "MeshAuthority" (
    "id" UUID NOT NULL,
    "meshId" UUID NOT NULL,
    "state" "AuthorityState" NOT NULL,
    "origin" TEXT NOT NULL,
    "certificatePem" TEXT NOT NULL,
    "chainPem" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "trustAnchorPem" TEXT NOT NULL,
    "anchorFingerprint" TEXT NOT NULL,
    "sealedKey" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiredAt" TIMESTAMP(3),

    CONSTRAINT "MeshAuthority_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ClusterIntermediate" (
    "id" UUID NOT NULL,
    "clusterId" UUID,
    "clusterName" TEXT NOT NULL,
    "authorityId" UUID NOT NULL,
    "certificatePem" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ClusterIntermediate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkloadCertificate" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "spiffeId" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "notAfter" TIMESTAMP(3) NOT NULL,
    "rootFingerprint" TEXT NOT NULL,
    "reportedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkloadCertificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RootRotation" (
    "id" UUID NOT NULL,
    "meshId" UUID NOT NULL,
    "fromAuthorityId" UUID NOT NULL,
    "toAuthorityId" UUID NOT NULL,
    "step" "RotationStep" NOT NULL DEFAULT 'ADD_ROOT',
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "progress" JSONB NOT NULL DEFAULT '{}',
    "awaitBundleVersion" BIGINT,
    "startedBy" TEXT NOT NULL,
    "history" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),
    "reversedAt" TIMESTAMP(3),

    CONSTRAINT "RootRotation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Span" (
    "id" BIGSERIAL NOT NULL,
    "traceId" TEXT NOT NULL,
    "spanId" TEXT NOT NULL,
    "parentSpanId" TEXT,
    "cluster" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "version" TEXT NOT NULL DEFAULT '',
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "startTime" TIMESTAMP(3) NOT NULL,
    "durationMs" DOUBLE PRECISION NOT NULL,
    "statusCode" INTEGER,
    "responseFlags" TEXT NOT NULL DEFAULT '',
    "peerService" TEXT NOT NULL DEFAULT '',
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Span_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MeshAuthority_meshId_state_idx" ON "MeshAuthority"("meshId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "ClusterIntermediate_fingerprint_key" ON "ClusterIntermediate"("fingerprint");

-- CreateIndex
CREATE INDEX "ClusterIntermediate_clusterId_createdAt_idx" ON "ClusterIntermediate"("clusterId", "createdAt");

-- CreateIndex
CREATE INDEX "WorkloadCertificate_notAfter_idx" ON "WorkloadCertificate"("notAfter");

-- CreateIndex
CREATE UNIQUE INDEX "WorkloadCertificate_clusterId_serial_key" ON "WorkloadCertificate"("clusterId", "serial");

-- CreateIndex
CREATE INDEX "RootRotation_meshId_completedAt_idx" ON "RootRotation"("meshId", "completedAt");

-- CreateIndex
CREATE INDEX "Span_namespace_service_startTime_idx" ON "Span"("namespace", "service", "startTime");

-- CreateIndex
CREATE INDEX "Span_startTime_idx" ON "Span"("startTime");

-- CreateIndex
CREATE UNIQUE INDEX "Span_traceId_spanId_key" ON "Span"("traceId", "spanId");

-- AddForeignKey
ALTER TABLE "MeshAuthority" ADD CONSTRAINT "MeshAuthority_meshId_fkey" FOREIGN KEY ("meshId") REFERENCES "Mesh"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterIntermediate" ADD CONSTRAINT "ClusterIntermediate_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ClusterIntermediate" ADD CONSTRAINT "ClusterIntermediate_authorityId_fkey" FOREIGN KEY ("authorityId") REFERENCES "MeshAuthority"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkloadCertificate" ADD CONSTRAINT "WorkloadCertificate_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RootRotation" ADD CONSTRAINT "RootRotation_meshId_fkey" FOREIGN KEY ("meshId") REFERENCES "Mesh"("id") ON DELETE CASCADE ON UPDATE CASCADE;
