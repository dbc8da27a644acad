-- AlterTable
ALTER TABLE "NotificationChannel" ADD COLUMN     "maxAttempts" INTEGER NOT NULL DEFAULT 8,
ADD COLUMN     "timeoutMs" INTEGER NOT NULL DEFAULT 10000;
