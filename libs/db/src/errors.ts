import { Prisma } from './generated/prisma/client';

/**
 * Unique constraints (Prisma's default names `<table>_<column>_key` / `<table>_pkey`) → Prisma field names.
 * Keep in sync with prisma/schema.prisma.
 */
const UNIQUE_CONSTRAINT_FIELDS: Record<string, string[]> = {
  users_pkey: ['id'],
  users_username_key: ['username'],
  users_email_key: ['email'],
  users_phone_key: ['phone'],
  processed_events_pkey: ['eventId'],
  login_audit_pkey: ['id'],
};

const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * For a unique-constraint violation (P2002), returns WHICH Prisma fields collided, e.g. ['email']; else null.
 *
 * With the pg driver adapter, P2002 has no `meta.target`; the information is in
 *   err.meta.driverAdapterError.cause = { kind: 'UniqueConstraintViolation', originalCode: '23505',
 *                                         constraint: { index: 'users_email_key' } | { fields: ['email'] }, table }
 * (`index` when PostgreSQL names the constraint, which it does for unique indexes). `meta.target` (classic engine)
 * is honoured too.
 */
export function uniqueViolationFields(err: unknown): string[] | null {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== 'P2002') return null;
  const meta = (err.meta ?? {}) as {
    target?: string | string[];
    driverAdapterError?: { cause?: { constraint?: { index?: string; fields?: string[] } } };
  };
  if (meta.target) return Array.isArray(meta.target) ? meta.target : [meta.target];
  const constraint = meta.driverAdapterError?.cause?.constraint;
  if (constraint?.fields) return constraint.fields.map((c) => snakeToCamel(c.replace(/^"|"$/g, '')));
  if (constraint?.index) return UNIQUE_CONSTRAINT_FIELDS[constraint.index] ?? [constraint.index];
  return null;
}
