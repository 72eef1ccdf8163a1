-- The attempt id is random and stored (never derived from the secret state or ticket id). The default is
-- volatile, so it is drawn per row: rows from before this migration get ids of their own.

-- AlterTable
ALTER TABLE "WechatLoginState" ADD COLUMN     "attemptId" TEXT NOT NULL DEFAULT md5((random())::text);

-- AlterTable
ALTER TABLE "LoginTicket" ADD COLUMN     "attemptId" TEXT NOT NULL DEFAULT md5((random())::text),
ADD COLUMN     "finishedAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "WechatLoginState_attemptId_key" ON "WechatLoginState"("attemptId");

-- CreateIndex
CREATE UNIQUE INDEX "LoginTicket_attemptId_key" ON "LoginTicket"("attemptId");

