-- AlterTable
ALTER TABLE "WechatLoginState" ADD COLUMN     "ip" TEXT;

-- AlterTable
ALTER TABLE "LoginTicket" ADD COLUMN     "choices" TEXT;

-- AlterTable
ALTER TABLE "VerificationCode" ADD COLUMN     "sessionHash" TEXT;

-- CreateTable
CREATE TABLE "LimitHit" (
    "id" TEXT NOT NULL,
    "bucket" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LimitHit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LimitHit_bucket_key_expiresAt_idx" ON "LimitHit"("bucket", "key", "expiresAt");

-- CreateIndex
CREATE INDEX "LimitHit_expiresAt_idx" ON "LimitHit"("expiresAt");

-- CreateIndex
CREATE INDEX "WechatLoginState_bindingHash_createdAt_idx" ON "WechatLoginState"("bindingHash", "createdAt");

