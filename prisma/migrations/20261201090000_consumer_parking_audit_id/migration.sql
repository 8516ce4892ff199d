-- user-consumer (issue 5): outcome of processed events, per-user parking for retries and dead
-- letters, columns deferred by the degrade switch, and the login-audit idempotency key.

-- AlterTable
ALTER TABLE "processed_events" ADD COLUMN "outcome" VARCHAR(16);

-- CreateTable
CREATE TABLE "consumer_parked_users" (
    "username" VARCHAR(64) NOT NULL,
    "head_event_id" UUID NOT NULL,
    "status" VARCHAR(16) NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT,
    "head_event" JSONB NOT NULL,
    "head_headers" JSONB NOT NULL,
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_parked_users_pkey" PRIMARY KEY ("username")
);

-- CreateTable
CREATE TABLE "consumer_parked_events" (
    "seq" BIGSERIAL NOT NULL,
    "username" VARCHAR(64) NOT NULL,
    "event_id" UUID NOT NULL,
    "event" JSONB NOT NULL,
    "headers" JSONB NOT NULL,
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_parked_events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "consumer_deferred_columns" (
    "username" VARCHAR(32) NOT NULL,
    "event_id" UUID NOT NULL,
    "columns" JSONB NOT NULL,
    "deferred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumer_deferred_columns_pkey" PRIMARY KEY ("username")
);

-- AlterTable
ALTER TABLE "login_audit" ADD COLUMN "audit_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "consumer_parked_events_event_id_key" ON "consumer_parked_events"("event_id");

-- CreateIndex
CREATE INDEX "consumer_parked_events_username_seq_idx" ON "consumer_parked_events"("username", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "login_audit_audit_id_key" ON "login_audit"("audit_id");
