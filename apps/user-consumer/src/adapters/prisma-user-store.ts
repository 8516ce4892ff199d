import { uniqueViolationFields, type PrismaClient } from '@usersys/db';
import { encodeEvent, revokesSessions, type EventEnvelope, type Headers, type UserCreatedEvent, type UserUpdatedEvent } from '@usersys/event-schema';
import type { FailureKind } from '../domain/failure-policy';
import type { HeadState, OutcomeReason, ParkedItem, ParkState, UserRow, UserStore, WriteResult } from '../domain/ports';
import { classifyDatabaseError } from './database-errors';

type Json = Record<string, unknown>;

/** Parked payloads are bytea: the message value as the topic carried it, headers as UTF-8 JSON. */
const bytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b); // Prisma's Bytes wants a plain ArrayBuffer
const headerBytes = (headers: Headers) => bytes(Buffer.from(JSON.stringify(headers)));
const headersOf = (bytes: Uint8Array): Headers => JSON.parse(Buffer.from(bytes).toString('utf8')) as Headers;
function parsedOrNull(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

const TAKEN: Record<string, OutcomeReason> = { username: 'username_taken', email: 'email_taken', phone: 'phone_taken' };

/**
 * Which user field a unique violation hit: model calls come as P2002 (uniqueViolationFields), raw
 * statements as P2010 carrying PostgreSQL's 23505 and the constraint name in the message.
 */
export function violatedFields(err: unknown): string[] | null {
  const fields = uniqueViolationFields(err);
  if (fields) return fields;
  type Cause = { kind?: string; originalCode?: string; constraint?: { index?: string; fields?: string[] }; originalMessage?: string; message?: string };
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: Cause } } };
  const cause = e?.code === 'P2010' ? e.meta?.driverAdapterError?.cause : undefined;
  if (!cause || (cause.kind !== 'UniqueConstraintViolation' && cause.originalCode !== '23505')) return null;
  if (cause.constraint?.fields?.length) return cause.constraint.fields.map((f) => f.replace(/"/g, ''));
  const constraint = cause.constraint?.index ?? /unique constraint "([^"]+)"/.exec(cause.originalMessage ?? cause.message ?? '')?.[1] ?? '';
const known: Record<string, string> = { users_email_key: 'email', users_phone_key: 'phone', users_username_key: 'username', processed_events_pkey: 'eventId' };
  return [known[constraint] ?? constraint];
}

/** users row as to_jsonb() renders it (snake_case, timestamps as text). */
function rowFromJson(raw: unknown): UserRow | null {
  if (raw === null || raw === undefined) return null;
  const r = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Json;
  return {
    username: String(r.username),
    accountId: String(r.account_id),
    credentialVersion: Number(r.credential_version ?? 0),
    email: String(r.email),
    phone: String(r.phone),
    nickname: (r.nickname as string | null) ?? null,
    role: r.role as UserRow['role'],
    state: r.state as UserRow['state'],
    passwordHash: String(r.password_hash),
    lastEventId: (r.last_event_id as string | null) ?? null,
    updatedAt: r.updated_at instanceof Date ? r.updated_at : new Date(String(r.updated_at)),
  };
}

/** Non-core columns: skipped under the degrade switch, kept in consumer_deferred_columns for the repair job. */
function deferredOf(payload: { nickname?: string | null }, degrade: boolean): Json | null {
  return degrade && payload.nickname !== undefined ? { nickname: payload.nickname } : null;
}

// One statement per batch of creates (distinct usernames): the processed_events check, the insert,
// the idempotency record and deferred columns, all atomic. The processed_events lookup is a
// per-row index probe (OFFSET 0 keeps the planner from turning it into a scan of the whole table).
export const CREATE_BATCH_SQL = `
WITH input AS (
  SELECT x.*, p.seen, p.prior_outcome, p.prior_reason
  FROM jsonb_to_recordset($1::jsonb) AS x(ord int, event_id uuid, account_id uuid, username text, email text, phone text,
    password_hash text, nickname text, role text, created_at timestamptz, deferred jsonb)
  LEFT JOIN LATERAL (SELECT true AS seen, outcome AS prior_outcome, reason AS prior_reason FROM processed_events pe WHERE pe.event_id = x.event_id OFFSET 0) p ON true
), ins AS (
  -- The account id user-command created at sign-up (a version 1 event has none: the column default).
  INSERT INTO users (account_id, username, email, phone, password_hash, nickname, role, state, created_at, updated_at, last_event_id)
  SELECT COALESCE(account_id, gen_random_uuid()), username, email, phone, password_hash, nickname, role::user_role, 'active', created_at, now(), event_id
  FROM input WHERE seen IS NULL ORDER BY ord
  ON CONFLICT DO NOTHING
  RETURNING account_id, credential_version, username, email, phone, password_hash, nickname, role, state, last_event_id, updated_at
), pe AS (
  INSERT INTO processed_events (event_id, username, event_type, outcome, reason)
  SELECT i.event_id, i.username, 'user.created', CASE WHEN a.applied THEN 'applied' WHEN x.reason IS NOT NULL THEN 'rejected' ELSE 'conflict' END, x.reason
  FROM input i
  CROSS JOIN LATERAL (SELECT i.event_id IN (SELECT last_event_id FROM ins) AS applied) a
  -- Why nothing was inserted, as far as the rows before this statement tell (a clash inside the
  -- batch stays 'conflict' here and is settled by classifyConflicts right after).
  CROSS JOIN LATERAL (SELECT CASE WHEN a.applied THEN NULL
    WHEN EXISTS (SELECT 1 FROM users u WHERE u.username = i.username) THEN 'username_taken'
    WHEN EXISTS (SELECT 1 FROM users u WHERE u.email = i.email) THEN 'email_taken'
    WHEN EXISTS (SELECT 1 FROM users u WHERE u.phone = i.phone) THEN 'phone_taken' END AS reason) x
  WHERE i.seen IS NULL
  ON CONFLICT (event_id) DO NOTHING
), def AS (
  INSERT INTO consumer_deferred_columns (username, event_id, columns)
  SELECT i.username, i.event_id, i.deferred FROM input i WHERE i.deferred IS NOT NULL AND i.event_id IN (SELECT last_event_id FROM ins)
  ON CONFLICT (username) DO UPDATE SET event_id = EXCLUDED.event_id, columns = consumer_deferred_columns.columns || EXCLUDED.columns, deferred_at = now()
)
SELECT i.event_id::text AS event_id, COALESCE(i.seen, false) AS seen, i.prior_outcome, i.prior_reason,
       ins.account_id::text AS account_id, ins.credential_version, ins.username, ins.email, ins.phone, ins.password_hash, ins.nickname, ins.role::text AS role, ins.state::text AS state,
       ins.last_event_id::text AS last_event_id, ins.updated_at
FROM input i LEFT JOIN ins ON ins.last_event_id = i.event_id
ORDER BY i.ord`;

interface CreateRow {
  event_id: string;
  seen: boolean;
  prior_outcome: string | null;
  prior_reason: string | null;
  account_id: string | null;
  credential_version: number | null;
  username: string | null;
  email: string;
  phone: string;
  password_hash: string;
  nickname: string | null;
  role: string;
  state: string;
  last_event_id: string | null;
  updated_at: Date | string;
}

// Single-event statements share this frame: $1 event id, $2 username, $3 the event's account id
// (null in version 1 events), $4 the credential version step (revokesSessions of @usersys/event-schema); `change` is a
// CTE named chg that modifies users only when the event was not processed before and the row
// belongs to the event's account (SAME_ACCOUNT).
// An event about an account whose name was force-deleted and registered again (its account id is
// not the row's) is not applied: skipped, reason user_not_found, as if the row were absent, because
// the account it was meant for is. This frame is the one place that rule lives.
function singleSql(eventType: string, change: string, extra = ''): string {
  return `
WITH seen AS (SELECT outcome FROM processed_events WHERE event_id = $1::uuid),
chg AS (${change}),
why AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM chg) THEN NULL
  WHEN EXISTS (SELECT 1 FROM users WHERE username = $2 AND ${SAME_ACCOUNT}) THEN 'user_deleted' ELSE 'user_not_found' END AS reason),
pe AS (
  INSERT INTO processed_events (event_id, username, event_type, outcome, reason)
  SELECT $1::uuid, $2, '${eventType}', CASE WHEN EXISTS (SELECT 1 FROM chg) THEN 'applied' ELSE 'skipped' END, (SELECT reason FROM why)
  WHERE NOT EXISTS (SELECT 1 FROM seen)
  ON CONFLICT (event_id) DO NOTHING
)${extra}
SELECT EXISTS (SELECT 1 FROM seen) AS seen, (SELECT outcome FROM seen) AS prior_outcome, (SELECT reason FROM why) AS reason,
       (SELECT to_jsonb(chg) FROM chg) AS new_row, (SELECT to_jsonb(u) FROM users u WHERE u.username = $2) AS cur_row, now() AS db_now,
       $4::int AS version_step`; // every statement names $4 (PostgreSQL refuses a parameter it cannot type)
}

/** The row is the account the event is about (a version 1 event without an account id matches any). */
const SAME_ACCOUNT = '($3::uuid IS NULL OR account_id = $3::uuid)';
/** Where each change applies: not processed before, and the event's account. */
const APPLIES = `NOT EXISTS (SELECT 1 FROM seen) AND ${SAME_ACCOUNT}`;

interface SingleRow {
  seen: boolean;
  prior_outcome: string | null;
  reason: OutcomeReason | null;
  new_row: unknown;
  cur_row: unknown;
  db_now: Date | string;
}

/**
 * PostgreSQL through Prisma (raw SQL where one statement must do several things atomically).
 * Idempotency: `processed_events` holds every event id with its outcome, written in the same
 * statement as the change; unique constraints on username/email/phone are the last line of defence.
 */
export class PrismaUserStore implements UserStore {
  constructor(private readonly prisma: PrismaClient) {}

  async write(events: EventEnvelope[], options: { degrade: boolean }): Promise<WriteResult[]> {
    if (events.length === 0) return [];
    if (events.every((e) => e.type === 'user.created')) return this.creates(events as UserCreatedEvent[], options.degrade);
    if (events.length !== 1) throw new Error('only creates are written in batches');
    return [await this.single(events[0], options.degrade)];
  }

  private async creates(events: UserCreatedEvent[], degrade: boolean): Promise<WriteResult[]> {
    const input = events.map((e, ord) => {
      const deferred = deferredOf(e.payload, degrade);
      return {
        ord,
        event_id: e.eventId,
        account_id: e.accountId ?? null,
        username: e.username,
        email: e.payload.email,
        phone: e.payload.phone,
        password_hash: e.payload.passwordHash,
        nickname: deferred ? null : (e.payload.nickname ?? null),
        role: e.payload.role,
        created_at: e.occurredAt,
        deferred,
      };
    });
    const rows = await this.prisma.$queryRawUnsafe<CreateRow[]>(CREATE_BATCH_SQL, JSON.stringify(input));
    const results: WriteResult[] = [];
    const others: number[] = [];
    const conflicts: number[] = [];
    rows.forEach((r, i) => {
      if (r.username !== null) {
        results.push({ eventId: r.event_id, kind: 'applied', row: rowFromJson(r) });
        return;
      }
      results.push({ eventId: r.event_id, kind: r.seen ? 'duplicate' : 'skipped', row: null });
      others.push(i);
      // A redelivered rejection: its field is in the recorded reason (the Redis rejection is recorded again).
      const field = r.prior_outcome === 'rejected' ? Object.keys(TAKEN).find((f) => TAKEN[f] === r.prior_reason && f !== 'username') : undefined;
      if (field) results[i].field = field;
      else if (!r.seen || r.prior_outcome === 'conflict') conflicts.push(i);
    });
    // Rare paths (redelivery, conflicts): the current rows for the cache, and why nothing was inserted.
    if (others.length) {
      const current = await this.currentRows(others.map((i) => events[i].username));
      for (const i of others) results[i].row = current.get(events[i].username) ?? null;
    }
    if (conflicts.length) await this.classifyConflicts(conflicts.map((i) => events[i]), conflicts.map((i) => results[i]));
    return results;
  }

  /**
   * A create that inserted nothing: same event already there, the name exists (rejected,
   * username_taken), or another user holds the email/phone (rejected, email_taken/phone_taken). The
   * statement recorded it as `conflict`; the outcome and reason found here replace that.
   */
  private async classifyConflicts(events: UserCreatedEvent[], results: WriteResult[]): Promise<void> {
    const holders = await this.prisma.user.findMany({
      where: { OR: [{ username: { in: events.map((e) => e.username) } }, { email: { in: events.map((e) => e.payload.email) } }, { phone: { in: events.map((e) => e.payload.phone) } }] },
      select: { username: true, email: true, phone: true, lastEventId: true },
    });
    events.forEach((e, i) => {
      const result = results[i];
      const own = holders.find((h) => h.username === e.username);
      if (own?.lastEventId === e.eventId) {
        result.kind = 'duplicate';
        return;
      }
      const field = own ? null : holders.some((h) => h.email === e.payload.email) ? 'email' : holders.some((h) => h.phone === e.payload.phone) ? 'phone' : null;
      if (result.kind === 'duplicate') {
        // Recorded as `conflict` before (older rows, or a crash before the outcome was written): settle it now.
        if (field) result.field = field;
        else if (own) result.reasonCode = TAKEN.username;
        return;
      }
      if (own) Object.assign(result, { kind: 'rejected', reason: 'username is already taken', reasonCode: TAKEN.username });
      else if (field) Object.assign(result, { kind: 'rejected', field, reasonCode: TAKEN[field] });
      // The holder vanished between the statement and this lookup: let the caller try again.
      else throw new Error(`create of ${e.username} conflicted, but no conflicting row was found`);
    });
    const decided = events.flatMap((e, i) => {
      const r = results[i];
      const reason = r.reasonCode ?? (r.field ? TAKEN[r.field] : undefined);
      return reason ? [{ event_id: e.eventId, reason }] : [];
    });
    if (decided.length) {
      await this.prisma.$executeRawUnsafe(
        `UPDATE processed_events pe SET outcome = 'rejected', reason = x.reason
         FROM jsonb_to_recordset($1::jsonb) AS x(event_id uuid, reason text)
         WHERE pe.event_id = x.event_id AND pe.outcome IN ('conflict', 'rejected')`,
        JSON.stringify(decided),
      );
    }
  }

  private async single(event: EventEnvelope, degrade: boolean): Promise<WriteResult> {
    let sql: string;
    let args: unknown[];
    if (event.type === 'user.created') return (await this.creates([event], degrade))[0];
    const step = revokesSessions(event) ? 1 : 0; // a revoking change raises the credential version
    const frameArgs = [event.eventId, event.username, event.accountId ?? null, step];
    if (event.type === 'user.updated') [sql, args] = this.updateStatement(event, degrade, frameArgs);
    else if (event.type === 'user.deleted') {
      sql = singleSql(event.type, `UPDATE users SET state = 'deleted', deleted_at = $5::timestamptz, credential_version = credential_version + $4, updated_at = now(), last_event_id = $1::uuid
        WHERE username = $2 AND state <> 'deleted' AND ${APPLIES} RETURNING *`);
      args = [...frameArgs, event.occurredAt];
    } else if (event.type === 'user.disabled' || event.type === 'user.enabled') {
      // Disable: from active (or disabled again); enable: back to active. A deleted user stays deleted (skipped).
      const state = event.type === 'user.disabled' ? 'disabled' : 'active';
      sql = singleSql(event.type, `UPDATE users SET state = '${state}', credential_version = credential_version + $4, updated_at = now(), last_event_id = $1::uuid
        WHERE username = $2 AND state <> 'deleted' AND ${APPLIES} RETURNING *`);
      args = frameArgs;
    } else {
      sql = singleSql(event.type, `DELETE FROM users WHERE username = $2 AND ${APPLIES} RETURNING *`, `,
def AS (DELETE FROM consumer_deferred_columns WHERE username = $2 AND EXISTS (SELECT 1 FROM chg))`);
      args = frameArgs;
    }
    let r: SingleRow;
    try {
      [r] = await this.prisma.$queryRawUnsafe<SingleRow[]>(sql, ...args);
    } catch (err) {
      const fields = violatedFields(err);
      if (!fields || fields.includes('eventId')) throw err;
      // Another user holds the new email/phone: a decision, recorded like any outcome.
      const reasonCode = TAKEN[fields[0]];
      await this.prisma.$transaction(async (tx) => {
        const { count } = await tx.processedEvent.createMany({ data: [{ eventId: event.eventId, username: event.username, eventType: event.type, outcome: 'rejected', reason: reasonCode ?? null }], skipDuplicates: true });
        // A rejected password change still raises the version (once): user-command revoked the sessions at
        // the 202 up to the version the change brings, and without it no new login could reach that version.
        if (count === 1 && step > 0) {
          await tx.$executeRawUnsafe(`UPDATE users SET credential_version = credential_version + 1 WHERE username = $1 AND ($2::uuid IS NULL OR account_id = $2::uuid)`, event.username, event.accountId ?? null);
        }
      });
      const row = (await this.currentRows([event.username])).get(event.username) ?? null;
      return { eventId: event.eventId, kind: 'rejected', field: fields[0], ...(reasonCode ? { reasonCode } : {}), row };
    }
    const changed = rowFromJson(r.new_row);
    const current = rowFromJson(r.cur_row);
    if (r.seen) return { eventId: event.eventId, kind: 'duplicate', row: current };
    if (changed && event.type === 'user.force_deleted') {
      // The row is gone; the cache gets a tombstone built from what was removed (its version raised too).
      return { eventId: event.eventId, kind: 'applied', row: { ...changed, state: 'deleted', credentialVersion: changed.credentialVersion + step, updatedAt: new Date(r.db_now) } };
    }
    if (changed) return { eventId: event.eventId, kind: 'applied', row: changed };
    // Not applied: the row (if any) is left as it is, and so is its cache entry (a tombstone only when no row is left).
    const reasonCode = r.reason ?? 'user_not_found';
    const reason = reasonCode === 'user_deleted' ? 'user is deleted' : current ? 'the event is for another account (the name was deleted and registered again)' : 'user does not exist';
    return { eventId: event.eventId, kind: 'skipped', reason, reasonCode, row: current };
  }

  private updateStatement(event: UserUpdatedEvent, degrade: boolean, frameArgs: unknown[]): [string, unknown[]] {
    const p = event.payload;
    const deferred = deferredOf(p, degrade);
    const setNickname = p.nickname !== undefined && !deferred;
    // A nickname written now wins over one deferred earlier; a deferred one is kept for the repair job.
    const extra = deferred
      ? `,
def AS (INSERT INTO consumer_deferred_columns (username, event_id, columns) SELECT $2, $1::uuid, $10::jsonb WHERE EXISTS (SELECT 1 FROM chg)
  ON CONFLICT (username) DO UPDATE SET event_id = EXCLUDED.event_id, columns = consumer_deferred_columns.columns || EXCLUDED.columns, deferred_at = now())`
      : setNickname
        ? `,
def AS (UPDATE consumer_deferred_columns SET columns = columns - 'nickname' WHERE username = $2 AND EXISTS (SELECT 1 FROM chg))`
        : '';
    const sql = singleSql(
      event.type,
      `UPDATE users SET email = COALESCE($5, email), phone = COALESCE($6, phone),
         nickname = CASE WHEN $7::boolean THEN $8 ELSE nickname END,
         password_hash = COALESCE($9, password_hash), credential_version = credential_version + $4, updated_at = now(), last_event_id = $1::uuid
       WHERE username = $2 AND state <> 'deleted' AND ${APPLIES} RETURNING *`,
      extra,
    );
    const args = [...frameArgs, p.email ?? null, p.phone ?? null, setNickname, setNickname ? (p.nickname ?? null) : null, p.passwordHash ?? null];
    if (deferred) args.push(JSON.stringify(deferred));
    return [sql, args];
  }

  async currentRows(usernames: string[]): Promise<Map<string, UserRow>> {
    const rows = await this.prisma.user.findMany({
      where: { username: { in: usernames } },
      select: { username: true, accountId: true, credentialVersion: true, email: true, phone: true, nickname: true, role: true, state: true, passwordHash: true, lastEventId: true, updatedAt: true },
    });
    return new Map(rows.map((r) => [r.username, r]));
  }

  async parkedUsers(usernames: string[]): Promise<Map<string, ParkState>> {
    if (usernames.length === 0) return new Map();
    const rows = await this.prisma.parkedUser.findMany({ where: { username: { in: usernames } }, select: { username: true, headEventId: true, status: true, attempts: true } });
    return new Map(rows.map((r) => [r.username, { ...r, status: r.status as ParkState['status'] }]));
  }

  /** How many users are parked, by status (the parked-users gauge; an alert fires on dead ones). */
  async countParked(): Promise<{ retrying: number; dead: number }> {
    const rows = await this.prisma.parkedUser.groupBy({ by: ['status'], _count: { _all: true } });
    const count = (status: ParkState['status']) => rows.find((r) => r.status === status)?._count._all ?? 0;
    return { retrying: count('retrying'), dead: count('dead') };
  }

  async setHead(event: EventEnvelope, headers: Headers, state: HeadState, value?: Buffer | null): Promise<void> {
    const data = {
      headEventId: event.eventId,
      status: state.status,
      attempts: state.attempts,
      lastError: state.error,
      reason: state.status === 'dead' ? (state.reason ?? null) : null,
      headEvent: bytes(value ?? encodeEvent(event)),
      headHeaders: headerBytes(headers),
      updatedAt: new Date(),
    };
    await this.prisma.parkedUser.upsert({ where: { username: event.username }, create: { username: event.username, ...data }, update: data });
  }

  // Parking and unparking of one user are serialised by the row lock on its parking record, so an
  // event is never appended to a queue that the drain has just found empty and removed.
  async appendParked(event: EventEnvelope, headers: Headers, value?: Buffer | null): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM consumer_parked_users WHERE username = ${event.username} FOR UPDATE`;
      if (locked.length === 0) return false;
      await tx.parkedEvent.createMany({ data: [{ username: event.username, eventId: event.eventId, event: bytes(value ?? encodeEvent(event)), headers: headerBytes(headers) }], skipDuplicates: true });
      return true;
    });
  }

  async nextParked(username: string): Promise<ParkedItem | null> {
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM consumer_parked_users WHERE username = ${username} FOR UPDATE`;
      if (locked.length === 0) return null;
      const next = await tx.parkedEvent.findFirst({ where: { username }, orderBy: { seq: 'asc' } });
      if (next) {
        const value = Buffer.from(next.event);
        return { seq: next.seq, value, event: parsedOrNull(value), headers: headersOf(next.headers) };
      }
      await tx.parkedUser.delete({ where: { username } });
      return null;
    });
  }

  async removeParked(seq: bigint): Promise<void> {
    await this.prisma.parkedEvent.deleteMany({ where: { seq } });
  }

  async promoteParked(item: ParkedItem, event: EventEnvelope, state: HeadState): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.parkedEvent.deleteMany({ where: { seq: item.seq } }),
      this.prisma.parkedUser.update({
        where: { username: event.username },
        data: {
          headEventId: event.eventId,
          status: state.status,
          attempts: state.attempts,
          lastError: state.error,
          reason: state.status === 'dead' ? (state.reason ?? null) : null,
          headEvent: bytes(item.value),
          headHeaders: headerBytes(item.headers),
          updatedAt: new Date(),
        },
      }),
    ]);
  }

  async markDiscarded(event: EventEnvelope): Promise<void> {
    await this.prisma.processedEvent.createMany({
      data: [{ eventId: event.eventId, username: event.username, eventType: event.type, outcome: 'discarded', reason: 'discarded_by_operator' }],
      skipDuplicates: true,
    });
  }

  async repairDeferred(limit: number): Promise<UserRow[]> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ row: unknown }>>(
      `WITH d AS (
         DELETE FROM consumer_deferred_columns WHERE username IN (
           SELECT username FROM consumer_deferred_columns ORDER BY deferred_at LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING username, columns)
       UPDATE users u SET nickname = CASE WHEN d.columns ? 'nickname' THEN d.columns->>'nickname' ELSE u.nickname END, updated_at = now()
       FROM d WHERE u.username = d.username
       RETURNING to_jsonb(u) AS row`,
      limit,
    );
    return rows.map((r) => rowFromJson(r.row)!).filter(Boolean);
  }

  async ping(): Promise<void> {
    await this.prisma.$queryRawUnsafe('SELECT 1');
  }

  classify(error: unknown): FailureKind {
    return classifyDatabaseError(error);
  }
}
