import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { ownerOf } from '@usersys/service-kit';
import { readSessionRevocation } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { LostWalReport } from './domain/lost-wal';
import { call, ensureRequestOutcomeColumns, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

// Two real user-command replicas (real Redis under a key prefix of their own, a throw-away
// PostgreSQL database, a WAL each): the fence, and the operator action when one replica's WAL is
// lost. No relay and no consumer run, so nothing written to a WAL reaches PostgreSQL: exactly what
// PostgreSQL knows of a WAL lost before it was shipped.
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('user-command replicas: the fence and a lost WAL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const keyPrefix = `replicas-${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true, keyPrefix });
  let urls: string[];
  let a: Awaited<ReturnType<typeof startInProcess>>;
  let b: Awaited<ReturnType<typeof startInProcess>> | undefined;
  const start = (url: string, members: string[], walName: string) =>
    startInProcess({ databaseUrl: db.url, redisKeyPrefix: keyPrefix, port: Number(new URL(url).port), replicas: { members, self: url }, walName });
  /** A username rendezvous hashing gives to `url` among `members`. */
  const nameOwnedBy = (url: string, members = urls) => {
    for (;;) {
      const user = newUser('rep');
      if (ownerOf(members, user.username) === url) return user;
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    await ensureRequestOutcomeColumns(prisma);
    urls = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    a = await start(urls[0], urls, 'uc-a');
    b = await start(urls[1], urls, 'uc-b');
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    await a?.cleanup();
    await b?.cleanup().catch(() => undefined);
    await prisma?.$disconnect();
    await db?.drop();
    // KEYS matches whole keys (no prefix added), so they are deleted through a client without one.
    const keys = await redis.keys(`${keyPrefix}*`);
    const plain = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
    if (keys.length) await plain.del(...keys);
    await plain.quit();
    await redis.quit();
  });

  it('the fence: each replica takes writes only for the names it owns (421 110015, nothing written); reads are answered anywhere', async () => {
    const user = nameOwnedBy(urls[1]);
    const refused = await call(a.url, 'POST', '/internal/users', user);
    expect(refused).toMatchObject({ status: 421, body: { code: 110015 } });
    expect((await walEvents(a.walPath)).filter((e) => e.username === user.username)).toEqual([]);
    expect(await redis.exists(`user:pending:{${user.username}}`)).toBe(0);

    const accepted = await call(b!.url, 'POST', '/internal/users', user);
    expect(accepted.status).toBe(202);
    expect((await walEvents(b!.walPath)).map((e) => e.eventId)).toContain(accepted.body.requestId);
    // Any replica reads it: state and request come from Redis and PostgreSQL, shared by all.
    expect(await call(a.url, 'GET', `/internal/requests/${accepted.body.requestId}`)).toMatchObject({ status: 200, body: { state: 'pending' } });

    const owned = nameOwnedBy(urls[0]);
    const admin = { id: 'root', role: 'admin' as const };
    expect(await call(b!.url, 'PATCH', `/internal/users/${owned.username}`, { nickname: 'x' }, admin)).toMatchObject({ status: 421, body: { code: 110015 } });
    expect(await call(b!.url, 'DELETE', `/internal/users/${owned.username}`, undefined, admin)).toMatchObject({ status: 421 });
    expect(await call(b!.url, 'POST', `/internal/users/${owned.username}/disable`, {}, admin)).toMatchObject({ status: 421 });
  });

  it('a lost WAL: after the hand-over and `lost-wal --apply`, its requests read rejected wal_lost, the sign-up\'s name is free, logins are not kept out', async () => {
    // Replica b accepts a sign-up and a password change, then its volume is lost before anything was shipped.
    const signUp = nameOwnedBy(urls[1]);
    const signUpId = (await call(b!.url, 'POST', '/internal/users', signUp)).body.requestId as string;
    const existing = nameOwnedBy(urls[1]);
    const row = await prisma.user.create({ data: { username: existing.username, email: existing.email.toLowerCase(), phone: existing.phone.replace(/\s/g, ''), passwordHash: '$2b$04$' + 'x'.repeat(53) } });
    const change = await call(b!.url, 'PATCH', `/internal/users/${existing.username}`, { password: 'a brand new password' }, { id: existing.username, role: 'user' });
    expect(change.status).toBe(202);
    expect((await readSessionRevocation(redis, row.accountId))?.minVersion).toBe(row.credentialVersion + 1);
    await b!.stop();
    await rm(b!.walPath, { recursive: true, force: true });
    b = undefined;

    // Hand-over: the remaining replica restarts with the list without b (the gateways get the same list).
    await a.stop();
    a = await start(urls[0], [urls[0]], 'uc-a');
    expect(await call(a.url, 'GET', `/internal/requests/${signUpId}`)).toMatchObject({ body: { state: 'pending' } });

    // The operator's tool, as run by `npm run lost-wal`, against this system's Redis (key prefix) and database.
    const lostWal = (...args: string[]) => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'apps/user-command/src/lost-wal.ts', '--wal', 'uc-b', '--json', ...args], {
        cwd: path.resolve(__dirname, '../../..'),
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: db.url, REDIS_KEY_PREFIX: keyPrefix, LOG_LEVEL: 'silent' },
        timeout: 60_000,
      });
      if (result.status !== 0) throw new Error(`lost-wal exited ${result.status}: ${result.stderr}`);
      return JSON.parse(result.stdout) as LostWalReport;
    };
    const listed = lostWal();
    // The fence test's sign-up went into uc-b too: three requests of that WAL, none known to PostgreSQL.
    expect(listed.lost.map((r) => r.requestId)).toEqual(expect.arrayContaining([signUpId, change.body.requestId]));
    expect(listed.lost).toHaveLength(3);
    expect(await call(a.url, 'GET', `/internal/requests/${signUpId}`)).toMatchObject({ body: { state: 'pending' } }); // listing changes nothing
    const settled = lostWal('--apply');
    expect(settled.revocationsLowered).toEqual([existing.username]);
    expect(lostWal('--apply').lost).toEqual([]); // settled once

    expect(await call(a.url, 'GET', `/internal/requests/${signUpId}`)).toMatchObject({ status: 200, body: { state: 'rejected', reason: 'wal_lost', type: 'create' } });
    expect(await call(a.url, 'GET', `/internal/requests/${change.body.requestId}`)).toMatchObject({ status: 200, body: { state: 'rejected', reason: 'wal_lost', type: 'update' } });
    expect(await call(a.url, 'GET', `/internal/users/${signUp.username}/state`, undefined, { id: signUp.username, role: 'user' })).toMatchObject({ status: 200, body: { state: 'rejected', reason: 'wal_lost' } });
    expect((await readSessionRevocation(redis, row.accountId))?.minVersion).toBe(row.credentialVersion);
    // The name and its contacts are free: the same sign-up, now owned by a, is accepted at once.
    expect(await call(a.url, 'POST', '/internal/users', signUp)).toMatchObject({ status: 202 });
  });
});
