-- AlterTable
ALTER TABLE "LoginTicket" ADD COLUMN     "codeImage" TEXT,
ADD COLUMN     "surface" TEXT NOT NULL DEFAULT 'official_account',
ADD COLUMN     "unionid" TEXT,
ADD COLUMN     "urlLink" TEXT;

