import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import pg from 'pg';
import { classifyDatabaseError, sqlState } from './database-errors';

const failure = async (fn: () => Promise<unknown>): Promise<unknown> => {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the statement to fail');
};

// Real errors, provoked in a fresh database through the same Prisma client (pg driver adapter) the
// consumer uses, and through pg itself: the classification is only as good as the shapes it sees.
describe('classifyDatabaseError on real PostgreSQL errors', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
  }, 60_000);
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it.each<[string, string, (p: PrismaClient) => Promise<unknown>]>([
    ['22P05', 'a NUL escape in jsonb', (p) => p.$queryRawUnsafe('SELECT $1::jsonb', JSON.stringify({ nickname: '\u0000' }))],
    ['22P02', 'a lone surrogate escape in jsonb', (p) => p.$queryRawUnsafe('SELECT $1::jsonb', JSON.stringify({ nickname: '\ud800' }))],
    ['22021', 'a NUL byte in a text parameter', (p) => p.$queryRawUnsafe('SELECT $1::text', 'a\u0000b')],
    ['22021', 'a NUL byte through a model call', (p) => p.loginAudit.createMany({ data: [{ username: 'x\u0000', clientIp: '1', result: 'failure', reason: 'r' }] })],
    ['22001', 'a value too long for its column', (p) => p.loginAudit.createMany({ data: [{ username: 'x'.repeat(80), clientIp: '1', result: 'failure', reason: 'r' }] })],
    ['23502', 'a NULL in a NOT NULL column', (p) => p.$executeRawUnsafe("INSERT INTO login_audit (username, client_ip, result, reason) VALUES (NULL, '1', 'failure', 'r')")],
  ])('%s (%s) is data', async (code, _what, fn) => {
    const err = await failure(() => fn(prisma));
    expect(sqlState(err)).toBe(code);
    expect(classifyDatabaseError(err)).toBe('data');
  });

  it.each<[string, string, (p: PrismaClient) => Promise<unknown>]>([
    ['P0001', 'an exception raised by a trigger or function', (p) => p.$queryRawUnsafe("DO $$BEGIN RAISE EXCEPTION 'injected'; END$$")],
    ['57014', 'a statement timeout', (p) => p.$transaction([p.$executeRawUnsafe("SET LOCAL statement_timeout = '50ms'"), p.$queryRawUnsafe('SELECT pg_sleep(1)')])],
    ['23505', 'a unique violation (the store handles the known ones)', async (p) => {
      await p.$executeRawUnsafe("INSERT INTO login_audit (audit_id, username, client_ip, result, reason) VALUES ('00000000-0000-4000-8000-000000000001', 'u', '1', 'failure', 'r')");
      await p.$executeRawUnsafe("INSERT INTO login_audit (audit_id, username, client_ip, result, reason) VALUES ('00000000-0000-4000-8000-000000000001', 'u', '1', 'failure', 'r')");
    }],
  ])('%s (%s) is transient', async (code, _what, fn) => {
    const err = await failure(() => fn(prisma));
    expect(sqlState(err)).toBe(code);
    expect(classifyDatabaseError(err)).toBe('transient');
  });

  it('an unreachable server is unavailable (raw and model calls, Prisma and pg)', async () => {
    const url = new URL(db.url);
    url.port = '1'; // nothing listens there
    const down = createPrismaClient({ databaseUrl: url.toString(), poolMax: 1 });
    try {
      expect(classifyDatabaseError(await failure(() => down.$queryRawUnsafe('SELECT 1')))).toBe('unavailable');
      expect(classifyDatabaseError(await failure(() => down.loginAudit.count()))).toBe('unavailable');
    } finally {
      await down.$disconnect();
    }
    const client = new pg.Client({ connectionString: url.toString() });
    expect(classifyDatabaseError(await failure(() => client.connect()))).toBe('unavailable');
  });

  // A server that takes no writes (a demoted primary after failover, a managed server gone read-only
  // on a full disk) still answers SELECT 1: it must hold consumption, not retry events into the dead-letter topic.
  it('25006 (a write the server refuses because it is read-only) is unavailable', async () => {
    const err = await failure(() =>
      prisma.$transaction([prisma.$executeRawUnsafe('SET TRANSACTION READ ONLY'), prisma.$executeRawUnsafe("INSERT INTO login_audit (username, client_ip, result, reason) VALUES ('u', '1', 'failure', 'r')")]),
    );
    expect(sqlState(err)).toBe('25006');
    expect(classifyDatabaseError(err)).toBe('unavailable');
  });

  it('class 58 (the server\'s own I/O failing, e.g. 58030) is unavailable', () => {
    const err = Object.assign(new pg.DatabaseError('could not write to file "base/16384/2619": No space left on device', 0, 'error'), { code: '58030', severity: 'ERROR' });
    expect(classifyDatabaseError(err)).toBe('unavailable');
  });

  it('pg errors carry their SQLSTATE directly', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect(classifyDatabaseError(await failure(() => client.query('SELECT $1::text', ['a\u0000b'])))).toBe('data');
      expect(classifyDatabaseError(await failure(() => client.query('SELECT * FROM no_such_table')))).toBe('transient');
    } finally {
      await client.end();
    }
  });

  it('a terminated connection is unavailable', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    client.on('error', () => {});
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const killer = new pg.Client({ connectionString: db.url });
    await killer.connect();
    await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    await killer.end();
    const err = await failure(() => client.query('SELECT 1'));
    expect(classifyDatabaseError(err)).toBe('unavailable');
    await client.end().catch(() => {});
  });
});
