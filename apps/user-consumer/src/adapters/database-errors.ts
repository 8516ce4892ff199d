import type { FailureKind } from '../domain/failure-policy';

type DriverCause = { kind?: string; originalCode?: string; code?: string };
type ErrorShape = { name?: string; code?: unknown; severity?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: DriverCause } }; cause?: unknown };

// Prisma codes and driver-adapter kinds that mean "cannot reach or use the database right now".
const UNAVAILABLE_PRISMA = new Set(['P1000', 'P1001', 'P1002', 'P1003', 'P1008', 'P1010', 'P1011', 'P1017', 'P2024', 'P2037']);
const UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TlsConnectionError', 'TooManyConnections', 'DatabaseDoesNotExist', 'DatabaseAccessDenied', 'AuthenticationFailed']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// Prisma codes for values the database or the query compiler refuses by their content.
const DATA_PRISMA = new Set(['P2000', 'P2005', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020', 'P2023', 'P2033']);

/** PostgreSQL's SQLSTATE of an error from Prisma (driver adapter) or pg, if it has one. */
export function sqlState(err: unknown): string | undefined {
  const e = err as ErrorShape | null;
  const cause = e?.meta?.driverAdapterError?.cause;
  // Prisma's own codes (P2010…) look like SQLSTATEs (P0001): only pg's errors (with a severity) carry one in `code`.
  const code = cause?.originalCode ?? cause?.code ?? (typeof e?.severity === 'string' && typeof e.code === 'string' ? e.code : undefined);
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Which kind of failure a database error is (decideFailure turns it into an action):
 * - data: caused by the values and unchanged by retrying: SQLSTATE class 22 (data exception: NUL
 *   bytes, invalid JSON escapes, values too long or out of range), class 23 except unique violations
 *   (23505 is how the store learns about taken names/emails/phones, and a retry can see a different
 *   row), class 54 (a value too large for an index); and the Prisma equivalents without a SQLSTATE;
 * - unavailable: the connection or the server (socket errors, class 08, 53 insufficient resources,
 *   58 the server's own I/O, 25006 a read-only server, 57P01–57P03 shutdown, authentication, pool timeouts);
 * - transient: everything else (timeouts, lock and serialization conflicts, trigger exceptions,
 *   unknown errors): retried, and a ping decides whether it was an outage after all.
 */
export function classifyDatabaseError(err: unknown): FailureKind {
  const e = err as ErrorShape | null;
  const state = sqlState(err);
  if (state) {
    const cls = state.slice(0, 2);
    if (cls === '22' || cls === '54' || (cls === '23' && state !== '23505')) return 'data';
    // 25006 and class 58: the server answers (a ping succeeds) but takes no writes; retrying each
    // event would only dead-letter good events, so consumption holds instead.
    if (cls === '08' || cls === '53' || cls === '28' || cls === '58' || state === '25006' || state === '3D000' || state === '57P01' || state === '57P02' || state === '57P03') return 'unavailable';
    return 'transient';
  }
  if (e?.name === 'PrismaClientValidationError') return 'data';
  const kind = e?.meta?.driverAdapterError?.cause?.kind;
  if (kind && UNAVAILABLE_KINDS.has(kind)) return 'unavailable';
  const code = typeof e?.code === 'string' ? e.code : '';
  if (UNAVAILABLE_PRISMA.has(code) || SOCKET_CODES.has(code)) return 'unavailable';
  if (DATA_PRISMA.has(code)) return 'data';
  if (e?.name === 'PrismaClientInitializationError') return 'unavailable';
  if (/connection terminated|connection (was )?closed|connection error and is not queryable|timeout exceeded when trying to connect|Can't reach database server/i.test(String(e?.message ?? ''))) return 'unavailable';
  if (e?.cause && e.cause !== err) return classifyDatabaseError(e.cause);
  return 'transient';
}
