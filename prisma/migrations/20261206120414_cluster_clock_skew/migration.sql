-- AlterTable
ALTER TABLE "Cluster" ADD COLUMN     "clockSkewMs" INTEGER;
