-- Issue 12: request outcomes with a reason, and parked payloads as raw bytes.
-- processed_events.reason: why an event was rejected or skipped (username_taken, email_taken,
-- phone_taken, user_not_found, user_deleted, ...), read by user-command's request state.
-- consumer_parked_users.reason: why a dead head was dead-lettered (retries_exhausted, invalid_data).
-- Parked payloads become bytea (the message bytes as the topic carried them): jsonb refuses \u0000
-- and lone surrogates, which made parking the very event that failed for that reason fail too.
-- Existing rows are kept (their JSON text, UTF-8 encoded).

-- AlterTable
ALTER TABLE "processed_events" ADD COLUMN "reason" VARCHAR(64);

-- AlterTable
ALTER TABLE "consumer_parked_users" ADD COLUMN "reason" VARCHAR(64),
  ALTER COLUMN "head_event" SET DATA TYPE BYTEA USING convert_to("head_event"::text, 'UTF8'),
  ALTER COLUMN "head_headers" SET DATA TYPE BYTEA USING convert_to("head_headers"::text, 'UTF8');

-- AlterTable
ALTER TABLE "consumer_parked_events"
  ALTER COLUMN "event" SET DATA TYPE BYTEA USING convert_to("event"::text, 'UTF8'),
  ALTER COLUMN "headers" SET DATA TYPE BYTEA USING convert_to("headers"::text, 'UTF8');
