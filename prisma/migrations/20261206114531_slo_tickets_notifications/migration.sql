-- CreateEnum
CREATE TYPE "SloAlertState" AS ENUM ('INACTIVE', 'PENDING', 'FIRING', 'RESOLVED');

-- CreateEnum
CREATE TYPE "TicketStatus" AS ENUM ('OPEN', 'ACKNOWLEDGED', 'RESOLVED', 'CLOSED');

-- CreateEnum
CREATE TYPE "ChannelType" AS ENUM ('WEBHOOK', 'PAGERDUTY', 'SLACK', 'GITHUB', 'JIRA');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'DEAD');

-- CreateTable
CREATE TABLE "SloStatus" (
    "id" UUID NOT NULL,
    "resourceId" UUID NOT NULL,
    "scope" TEXT NOT NULL DEFAULT '',
    "revision" INTEGER NOT NULL,
    "evaluatedAt" TIMESTAMP(3) NOT NULL,
    "sli" DOUBLE PRECISION,
    "requests" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "bad" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "budgetRemaining" DOUBLE PRECISION,
    "burnRates" JSONB NOT NULL DEFAULT '{}',
    "exhaustsAt" TIMESTAMP(3),
    "source" TEXT NOT NULL,
    "queries" JSONB NOT NULL DEFAULT '[]',
    "coveredFrom" TIMESTAMP(3),

    CONSTRAINT "SloStatus_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SloAlert" (
    "id" UUID NOT NULL,
    "resourceId" UUID NOT NULL,
    "scope" TEXT NOT NULL DEFAULT '',
    "pair" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "state" "SloAlertState" NOT NULL DEFAULT 'INACTIVE',
    "since" TIMESTAMP(3) NOT NULL,
    "firedAt" TIMESTAMP(3),
    "threshold" DOUBLE PRECISION NOT NULL,
    "longBurn" DOUBLE PRECISION,
    "shortBurn" DOUBLE PRECISION,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SloAlert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SloAlertEvent" (
    "id" BIGSERIAL NOT NULL,
    "alertId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "from" "SloAlertState" NOT NULL,
    "to" "SloAlertState" NOT NULL,
    "longBurn" DOUBLE PRECISION,
    "shortBurn" DOUBLE PRECISION,
    "budgetRemaining" DOUBLE PRECISION,
    "exhaustsAt" TIMESTAMP(3),
    "reason" TEXT NOT NULL,

    CONSTRAINT "SloAlertEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Ticket" (
    "id" UUID NOT NULL,
    "number" SERIAL NOT NULL,
    "dedupKey" TEXT NOT NULL,
    "openKey" TEXT,
    "source" TEXT NOT NULL,
    "status" "TicketStatus" NOT NULL DEFAULT 'OPEN',
    "severity" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "namespace" TEXT,
    "service" TEXT,
    "sloResourceId" UUID,
    "context" JSONB NOT NULL DEFAULT '{}',
    "assignee" TEXT,
    "fireCount" INTEGER NOT NULL DEFAULT 1,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "lastFiredAt" TIMESTAMP(3) NOT NULL,
    "acknowledgedAt" TIMESTAMP(3),
    "acknowledgedBy" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "closedBy" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketComment" (
    "id" BIGSERIAL NOT NULL,
    "ticketId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "authorName" TEXT NOT NULL,
    "authorId" TEXT,
    "body" TEXT NOT NULL,

    CONSTRAINT "TicketComment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationChannel" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "type" "ChannelType" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "config" JSONB NOT NULL DEFAULT '{}',
    "sealedSecret" TEXT,
    "severities" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "namespaces" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "builtIn" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NotificationChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NotificationDelivery" (
    "id" UUID NOT NULL,
    "channelId" UUID NOT NULL,
    "eventId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "dedupKey" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "leaseUntil" TIMESTAMP(3),
    "lastAttemptAt" TIMESTAMP(3),
    "lastStatus" INTEGER,
    "lastError" TEXT,
    "deliveredAt" TIMESTAMP(3),
    "log" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NotificationDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChannelIncident" (
    "id" UUID NOT NULL,
    "channelId" UUID NOT NULL,
    "dedupKey" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "url" TEXT,
    "state" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelIncident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServiceHour" (
    "id" BIGSERIAL NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "destCluster" TEXT NOT NULL,
    "destNamespace" TEXT NOT NULL,
    "destService" TEXT NOT NULL,
    "destVersion" TEXT NOT NULL,
    "codeClass" TEXT NOT NULL,
    "requests" BIGINT NOT NULL DEFAULT 0,
    "errors" BIGINT NOT NULL DEFAULT 0,
    "latency" JSONB NOT NULL,

    CONSTRAINT "ServiceHour_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RollupWatermark" (
    "name" TEXT NOT NULL,
    "upTo" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RollupWatermark_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE UNIQUE INDEX "SloStatus_resourceId_scope_key" ON "SloStatus"("resourceId", "scope");

-- CreateIndex
CREATE UNIQUE INDEX "SloAlert_resourceId_scope_pair_key" ON "SloAlert"("resourceId", "scope", "pair");

-- CreateIndex
CREATE INDEX "SloAlertEvent_alertId_at_idx" ON "SloAlertEvent"("alertId", "at");

-- CreateIndex
CREATE INDEX "SloAlertEvent_at_idx" ON "SloAlertEvent"("at");

-- CreateIndex
CREATE UNIQUE INDEX "Ticket_number_key" ON "Ticket"("number");

-- CreateIndex
CREATE UNIQUE INDEX "Ticket_openKey_key" ON "Ticket"("openKey");

-- CreateIndex
CREATE INDEX "Ticket_status_openedAt_idx" ON "Ticket"("status", "openedAt");

-- CreateIndex
CREATE INDEX "Ticket_dedupKey_idx" ON "Ticket"("dedupKey");

-- CreateIndex
CREATE INDEX "Ticket_namespace_service_idx" ON "Ticket"("namespace", "service");

-- CreateIndex
CREATE INDEX "TicketComment_ticketId_at_idx" ON "TicketComment"("ticketId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "NotificationChannel_name_key" ON "NotificationChannel"("name");

-- CreateIndex
CREATE INDEX "NotificationDelivery_status_nextAttemptAt_idx" ON "NotificationDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "NotificationDelivery_channelId_createdAt_idx" ON "NotificationDelivery"("channelId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "NotificationDelivery_channelId_eventId_key" ON "NotificationDelivery"("channelId", "eventId");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelIncident_channelId_dedupKey_key" ON "ChannelIncident"("channelId", "dedupKey");

-- CreateIndex
CREATE INDEX "ServiceHour_destNamespace_destService_hour_idx" ON "ServiceHour"("destNamespace", "destService", "hour");

-- CreateIndex
CREATE UNIQUE INDEX "ServiceHour_hour_destCluster_destNamespace_destService_dest_key" ON "ServiceHour"("hour", "destCluster", "destNamespace", "destService", "destVersion", "codeClass");

-- AddForeignKey
ALTER TABLE "SloAlertEvent" ADD CONSTRAINT "SloAlertEvent_alertId_fkey" FOREIGN KEY ("alertId") REFERENCES "SloAlert"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketComment" ADD CONSTRAINT "TicketComment_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NotificationDelivery" ADD CONSTRAINT "NotificationDelivery_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "NotificationChannel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelIncident" ADD CONSTRAINT "ChannelIncident_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "NotificationChannel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
