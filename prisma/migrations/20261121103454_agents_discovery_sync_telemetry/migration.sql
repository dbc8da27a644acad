-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "agentVersion" TEXT,
ADD COLUMN     "discoverySeq" BIGINT,
ADD COLUMN     "gatewayAddress" TEXT,
ADD COLUMN     "gatewayPort" INTEGER,
ADD COLUMN     "joinTokenExpiresAt" TIMESTAMP(3),
ADD COLUMN     "joinTokenHash" TEXT,
ADD COLUMN     "lastAckAt" TIMESTAMP(3),
ADD COLUMN     "lastRejectedAt" TIMESTAMP(3),
ADD COLUMN     "lastRejectedVersion" BIGINT,
ADD COLUMN     "lastRejectionDetail" JSONB,
ADD COLUMN     "lastRejectionReason" TEXT,
ADD COLUMN     "proxyCounts" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "Endpoint" ADD COLUMN     "version" TEXT,
ADD COLUMN     "zone" TEXT,
ALTER COLUMN "workloadId" DROP NOT NULL;

-- AlterTable
ALTER TABLE "Mesh" ADD COLUMN     "catalogVersion" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "AgentCredential" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "prefix" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "AgentCredential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EdgeMinute" (
    "id" BIGSERIAL NOT NULL,
    "minute" TIMESTAMP(3) NOT NULL,
    "edgeKey" TEXT NOT NULL,
    "sourceCluster" TEXT NOT NULL,
    "sourceNamespace" TEXT NOT NULL,
    "sourceService" TEXT NOT NULL,
    "sourceVersion" TEXT NOT NULL,
    "destCluster" TEXT NOT NULL,
    "destNamespace" TEXT NOT NULL,
    "destService" TEXT NOT NULL,
    "destVersion" TEXT NOT NULL,
    "codeClass" TEXT NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "errors" BIGINT NOT NULL DEFAULT 0,
    "latency" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EdgeMinute_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AgentCredential_secretHash_key" ON "AgentCredential"("secretHash");

-- CreateIndex
CREATE INDEX "AgentCredential_clusterId_idx" ON "AgentCredential"("clusterId");

-- CreateIndex
CREATE INDEX "EdgeMinute_minute_idx" ON "EdgeMinute"("minute");

-- CreateIndex
CREATE INDEX "EdgeMinute_destNamespace_destService_minute_idx" ON "EdgeMinute"("destNamespace", "destService", "minute");

-- CreateIndex
CREATE INDEX "EdgeMinute_sourceNamespace_sourceService_minute_idx" ON "EdgeMinute"("sourceNamespace", "sourceService", "minute");

-- CreateIndex
CREATE UNIQUE INDEX "EdgeMinute_minute_edgeKey_key" ON "EdgeMinute"("minute", "edgeKey");

-- CreateIndex
CREATE UNIQUE INDEX "Cluster_joinTokenHash_key" ON "Cluster"("joinTokenHash");

-- AddForeignKey
ALTER TABLE "AgentCredential" ADD CONSTRAINT "AgentCredential_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;
