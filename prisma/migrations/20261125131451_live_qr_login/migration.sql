-- CreateTable
CREATE TABLE "LoginTicket" (
    "id" TEXT NOT NULL,
    "bindingHash" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "scene" TEXT NOT NULL,
    "wechatTicket" TEXT,
    "qrUrl" TEXT,
    "status" TEXT NOT NULL,
    "matchCode" TEXT NOT NULL,
    "confirmTokenHash" TEXT,
    "openid" TEXT,
    "userId" TEXT,
    "errorCode" TEXT,
    "returnTo" TEXT NOT NULL,
    "requestIp" TEXT,
    "requestUserAgent" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "scannedAt" TIMESTAMP(3),
    "confirmedAt" TIMESTAMP(3),
    "redeemedAt" TIMESTAMP(3),

    CONSTRAINT "LoginTicket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WechatPushEvent" (
    "id" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WechatPushEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AppAccessToken" (
    "appId" TEXT NOT NULL,
    "tokenEnc" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AppAccessToken_pkey" PRIMARY KEY ("appId")
);

-- CreateIndex
CREATE UNIQUE INDEX "LoginTicket_scene_key" ON "LoginTicket"("scene");

-- CreateIndex
CREATE UNIQUE INDEX "LoginTicket_confirmTokenHash_key" ON "LoginTicket"("confirmTokenHash");

-- CreateIndex
CREATE INDEX "LoginTicket_expiresAt_idx" ON "LoginTicket"("expiresAt");

-- CreateIndex
CREATE INDEX "WechatPushEvent_receivedAt_idx" ON "WechatPushEvent"("receivedAt");

