import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HEADERS } from './headers';
import { safeText } from './safe-text';

/**
 * One login attempt, as the gateway records it and wal-relay publishes it to `user.login-audit.v1`
 * (key: the username as given; value: this record's JSON) for user-consumer to store in
 * `login_audit`. Never carries a password or a token. Text fields are safeText (PostgreSQL refuses
 * NUL): the gateway passes what a client sent through toSafeText first.
 */
export const loginAuditRecord = z
  .object({
    /** Idempotency key: a redelivered record is stored once. Also the message's `event-id` header. */
    auditId: z.uuid(),
    username: safeText().max(64),
    clientIp: safeText().max(45),
    userAgent: safeText().max(512).nullable(),
    result: z.enum(['success', 'failure']),
    /** e.g. ok, bad_credentials, rate_limited, fast_fail, disabled, invalid_request */
    reason: safeText().max(64),
    occurredAt: z.iso.datetime(),
    traceId: z.string().regex(/^[0-9a-f]{32}$/).nullable(),
  })
  .strict();

export type LoginAuditRecord = z.infer<typeof loginAuditRecord>;

/** Version of the record's shape (the `schema-version` header); consumers accept the versions they know. */
export const LOGIN_AUDIT_SCHEMA_VERSION = 1;
/** The `event-type` header of a login-audit message. */
export const LOGIN_AUDIT_EVENT_TYPE = 'login.attempt';

export function createLoginAuditRecord(fields: Omit<LoginAuditRecord, 'auditId' | 'occurredAt'> & { occurredAt?: string }): LoginAuditRecord {
  return loginAuditRecord.parse({ auditId: randomUUID(), occurredAt: new Date().toISOString(), ...fields });
}

/** Throws a ZodError for anything off-schema (the sink dead-letters those). */
export function decodeLoginAuditRecord(bytes: Buffer | string): LoginAuditRecord {
  return loginAuditRecord.parse(JSON.parse(bytes.toString()));
}

/** The contract headers of a login-audit message (docs/architecture.md "Headers"); `traceparent` comes from the sender's span. */
export function loginAuditHeaders(record: LoginAuditRecord, trace: { traceparent?: string; tracestate?: string }): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.eventId]: record.auditId,
    [HEADERS.eventType]: LOGIN_AUDIT_EVENT_TYPE,
    [HEADERS.schemaVersion]: String(LOGIN_AUDIT_SCHEMA_VERSION),
  };
  if (trace.traceparent) headers[HEADERS.traceparent] = trace.traceparent;
  if (trace.tracestate) headers[HEADERS.tracestate] = trace.tracestate;
  return headers;
}
