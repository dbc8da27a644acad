-- CreateTable
CREATE TABLE "AgentQuery" (
    "id" UUID NOT NULL,
    "clusterId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "proxy" TEXT,
    "result" JSONB,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answeredAt" TIMESTAMP(3),

    CONSTRAINT "AgentQuery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TapSession" (
    "id" UUID NOT NULL,
    "namespace" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "path" TEXT,
    "method" TEXT,
    "cluster" TEXT,
    "createdBy" TEXT NOT NULL,
    "attached" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TapSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TapEvent" (
    "id" BIGSERIAL NOT NULL,
    "sessionId" UUID NOT NULL,
    "cluster" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TapEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AgentQuery_clusterId_answeredAt_idx" ON "AgentQuery"("clusterId", "answeredAt");

-- CreateIndex
CREATE INDEX "TapSession_expiresAt_idx" ON "TapSession"("expiresAt");

-- CreateIndex
CREATE INDEX "TapEvent_sessionId_id_idx" ON "TapEvent"("sessionId", "id");

-- AddForeignKey
ALTER TABLE "AgentQuery" ADD CONSTRAINT "AgentQuery_clusterId_fkey" FOREIGN KEY ("clusterId") REFERENCES "Cluster"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TapEvent" ADD CONSTRAINT "TapEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TapSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;
