-- Issue 13: accounts and credential versions.
-- users.account_id: the account's stable id (uuid), created at sign-up and named in every token, so a
-- force-deleted name registered again is a different account. Existing rows get a random one.
-- users.credential_version: raised on password change, delete and disable; tokens with an older
-- version are refused.

-- AlterTable
ALTER TABLE "users" ADD COLUMN "account_id" UUID NOT NULL DEFAULT gen_random_uuid(),
ADD COLUMN "credential_version" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE UNIQUE INDEX "users_account_id_key" ON "users"("account_id");
