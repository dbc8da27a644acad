-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "maxRole" "Role",
ADD COLUMN     "parentId" UUID;

-- CreateIndex
CREATE INDEX "ApiToken_parentId_idx" ON "ApiToken"("parentId");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "ApiToken"("id") ON DELETE CASCADE ON UPDATE CASCADE;
