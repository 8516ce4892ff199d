import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { safeText } from './safe-text';

/**
 * One login attempt, as the gateway publishes it to `user.login-audit.v1` (key: the username as
 * given) and user-consumer stores it in `login_audit`. Never carries a password or a token.
 * Text fields are safeText (PostgreSQL refuses NUL): the gateway passes what a client sent
 * through toSafeText first.
 */
export const loginAuditRecord = z
  .object({
    /** Idempotency key: a redelivered record is stored once. */
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

export function createLoginAuditRecord(fields: Omit<LoginAuditRecord, 'auditId' | 'occurredAt'> & { occurredAt?: string }): LoginAuditRecord {
  return loginAuditRecord.parse({ auditId: randomUUID(), occurredAt: new Date().toISOString(), ...fields });
}

/** Throws a ZodError for anything off-schema (the sink dead-letters those). */
export function decodeLoginAuditRecord(bytes: Buffer | string): LoginAuditRecord {
  return loginAuditRecord.parse(JSON.parse(bytes.toString()));
}
