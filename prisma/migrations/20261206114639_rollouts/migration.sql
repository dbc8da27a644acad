-- CreateEnum
CREATE TYPE "RolloutPhase" AS ENUM ('INITIALIZING', 'PROGRESSING', 'PAUSED', 'WAITING_PROMOTION', 'PROMOTING', 'SUCCEEDED', 'ROLLED_BACK', 'ABORTED');

-- CreateTable
CREATE TABLE "RolloutRun" (
    "id" UUID NOT NULL,
    "meshId" UUID NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "rolloutRevision" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "service" TEXT NOT NULL,
    "stableVersion" TEXT NOT NULL,
    "canaryVersion" TEXT NOT NULL,
    "routeName" TEXT NOT NULL,
    "baseRoute" JSONB,
    "activeService" TEXT,
    "phase" "RolloutPhase" NOT NULL DEFAULT 'INITIALIZING',
    "state" JSONB NOT NULL,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "wave" INTEGER NOT NULL DEFAULT 0,
    "step" INTEGER NOT NULL DEFAULT 0,
    "awaitingApproval" BOOLEAN NOT NULL DEFAULT false,
    "message" TEXT NOT NULL DEFAULT '',
    "affinityToken" TEXT NOT NULL,
    "startedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "RolloutRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutStepRecord" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "wave" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "traffic" JSONB NOT NULL,
    "routeRevision" INTEGER,
    "enteredAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "RolloutStepRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutCheck" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "wave" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "windowFrom" TIMESTAMP(3),
    "windowTo" TIMESTAMP(3),
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "cluster" TEXT,
    "verdict" TEXT NOT NULL,
    "mode" TEXT NOT NULL DEFAULT 'Blocking',
    "query" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "threshold" JSONB,
    "sampleCount" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT NOT NULL,

    CONSTRAINT "RolloutCheck_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutEvent" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "wave" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "type" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "actor" TEXT,

    CONSTRAINT "RolloutEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutApproval" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "wave" INTEGER NOT NULL,
    "step" INTEGER NOT NULL,
    "gate" TEXT NOT NULL,
    "approverId" TEXT,
    "approverName" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "comment" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "RolloutApproval_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RolloutRun_activeService_key" ON "RolloutRun"("activeService");

-- CreateIndex
CREATE INDEX "RolloutRun_meshId_namespace_name_createdAt_idx" ON "RolloutRun"("meshId", "namespace", "name", "createdAt");

-- CreateIndex
CREATE INDEX "RolloutRun_meshId_finishedAt_idx" ON "RolloutRun"("meshId", "finishedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RolloutStepRecord_runId_attempt_wave_step_key" ON "RolloutStepRecord"("runId", "attempt", "wave", "step");

-- CreateIndex
CREATE INDEX "RolloutCheck_runId_at_idx" ON "RolloutCheck"("runId", "at");

-- CreateIndex
CREATE INDEX "RolloutEvent_runId_at_idx" ON "RolloutEvent"("runId", "at");

-- CreateIndex
CREATE INDEX "RolloutApproval_runId_at_idx" ON "RolloutApproval"("runId", "at");

-- AddForeignKey
ALTER TABLE "RolloutStepRecord" ADD CONSTRAINT "RolloutStepRecord_runId_fkey" FOREIGN KEY ("runId") REFERENCES "RolloutRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutCheck" ADD CONSTRAINT "RolloutCheck_runId_fkey" FOREIGN KEY ("runId") REFERENCES "RolloutRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutEvent" ADD CONSTRAINT "RolloutEvent_runId_fkey" FOREIGN KEY ("runId") REFERENCES "RolloutRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutApproval" ADD CONSTRAINT "RolloutApproval_runId_fkey" FOREIGN KEY ("runId") REFERENCES "RolloutRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
