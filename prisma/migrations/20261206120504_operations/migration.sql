-- AlterTable
ALTER TABLE "User" ADD COLUMN     "role" TEXT;

-- AlterTable
ALTER TABLE "WechatLoginState" ADD COLUMN     "errcode" INTEGER,
ADD COLUMN     "finishedAt" TIMESTAMP(3),
ADD COLUMN     "rid" TEXT,
ADD COLUMN     "traceParent" TEXT,
ADD COLUMN     "userAgent" TEXT;

-- AlterTable
ALTER TABLE "LoginTicket" ADD COLUMN     "errcode" INTEGER,
ADD COLUMN     "rid" TEXT,
ADD COLUMN     "traceParent" TEXT;

-- AlterTable
ALTER TABLE "AuditLog" ADD COLUMN     "actorId" TEXT;

-- CreateTable
CREATE TABLE "WechatEvent" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "appId" TEXT,
    "endpoint" TEXT,
    "errcode" INTEGER,
    "rid" TEXT,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WechatEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WechatEvent_kind_createdAt_idx" ON "WechatEvent"("kind", "createdAt");

-- CreateIndex
CREATE INDEX "WechatEvent_createdAt_idx" ON "WechatEvent"("createdAt");

-- CreateIndex
CREATE INDEX "WechatLoginState_createdAt_idx" ON "WechatLoginState"("createdAt");

-- CreateIndex
CREATE INDEX "LoginTicket_createdAt_idx" ON "LoginTicket"("createdAt");

-- CreateIndex
CREATE INDEX "AuditLog_actorId_createdAt_idx" ON "AuditLog"("actorId", "createdAt");

-- CreateIndex
CREATE INDEX "AuditLog_createdAt_idx" ON "AuditLog"("createdAt");

