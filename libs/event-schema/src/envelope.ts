import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { safeText } from './safe-text';

/**
 * Current version of the envelope; consumers accept every version they know how to read.
 * Version 2 added the optional `accountId` and the disable/enable events; version 1 still reads.
 */
export const SCHEMA_VERSION = 2;

export const EVENT_TYPES = ['user.created', 'user.updated', 'user.deleted', 'user.force_deleted', 'user.disabled', 'user.enabled'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const USERNAME_PATTERN = /^[a-zA-Z0-9_.-]{3,32}$/;

const traceContext = z
  .object({
    traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
    tracestate: safeText().optional(),
  })
  .strict();

/** A bcrypt hash: the only form in which a password ever leaves user-command. */
const passwordHash = z.string().regex(/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/, 'must be a bcrypt hash');

// Every free-text field is safeText: an event holding NUL, another control character or a lone
// surrogate is refused by createEvent and decodeEvent alike (PostgreSQL would refuse the row, and
// the consumer would otherwise retry it forever).
export const userCreatedPayload = z
  .object({
    email: safeText().min(3).max(254),
    phone: safeText().min(4).max(20),
    nickname: safeText().max(64).nullable().optional(),
    passwordHash,
    role: z.enum(['user', 'admin']).default('user'),
  })
  .strict();

export const userUpdatedPayload = z
  .object({
    email: safeText().min(3).max(254).optional(),
    phone: safeText().min(4).max(20).optional(),
    nickname: safeText().max(64).nullable().optional(),
    passwordHash: passwordHash.optional(),
  })
  .strict();

export const userDeletedPayload = z.object({ requestedBy: safeText().optional() }).strict();
/** Disable and enable (admin only) carry who asked, like a delete. */
export const userStatePayload = userDeletedPayload;

const base = {
  eventId: z.uuid(),
  schemaVersion: z.union([z.literal(1), z.literal(SCHEMA_VERSION)]),
  /**
   * The account's stable id (a uuid created at sign-up, never reused). A create carries the new
   * id; a later event carries the id user-command saw, so the consumer can tell a force-deleted
   * and re-registered name from the account the event was meant for. Absent in version 1.
   */
  accountId: z.uuid().optional(),
  occurredAt: z.iso.datetime(),
  username: safeText().regex(USERNAME_PATTERN),
  trace: traceContext.partial().default({}),
};

export const eventEnvelope = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('user.created'), payload: userCreatedPayload }).strict(),
  z.object({ ...base, type: z.literal('user.updated'), payload: userUpdatedPayload }).strict(),
  z.object({ ...base, type: z.literal('user.deleted'), payload: userDeletedPayload }).strict(),
  z.object({ ...base, type: z.literal('user.force_deleted'), payload: userDeletedPayload }).strict(),
  z.object({ ...base, type: z.literal('user.disabled'), payload: userStatePayload }).strict(),
  z.object({ ...base, type: z.literal('user.enabled'), payload: userStatePayload }).strict(),
]);

export type EventEnvelope = z.infer<typeof eventEnvelope>;
export type UserCreatedEvent = Extract<EventEnvelope, { type: 'user.created' }>;
export type UserUpdatedEvent = Extract<EventEnvelope, { type: 'user.updated' }>;
export type PayloadOf<T extends EventType> = Extract<EventEnvelope, { type: T }>['payload'];

export class InvalidEventError extends Error {
  constructor(readonly reason: string) {
    super(`invalid event: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

/** Builds and validates an envelope; the producer side never emits something the consumer would reject. */
export function createEvent<T extends EventType>(
  type: T,
  username: string,
  payload: PayloadOf<T>,
  trace: { traceparent?: string; tracestate?: string } = {},
  accountId?: string,
): Extract<EventEnvelope, { type: T }> {
  const candidate = { eventId: randomUUID(), schemaVersion: SCHEMA_VERSION, occurredAt: new Date().toISOString(), type, username, ...(accountId ? { accountId } : {}), trace, payload };
  return validateEvent(candidate) as Extract<EventEnvelope, { type: T }>;
}

export function validateEvent(candidate: unknown): EventEnvelope {
  const result = eventEnvelope.safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidEventError(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}

export function encodeEvent(event: EventEnvelope): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/** Parses bytes from the WAL or Kafka; throws InvalidEventError for anything unparsable or off-schema. */
export function decodeEvent(bytes: Buffer | string): EventEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString());
  } catch {
    throw new InvalidEventError('not JSON');
  }
  return validateEvent(parsed);
}
