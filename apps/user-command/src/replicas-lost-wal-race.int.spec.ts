import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import type { EventEnvelope } from '@usersys/event-schema';
import { createLogger } from '@usersys/logger';
import { PendingMarkerStore } from '@usersys/pending-marker';
import { ownerOf } from '@usersys/service-kit';
import { contactHolder, readSessionRevocation, releaseContact } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PrismaConsumerRecords } from './adapters/prisma-consumer-records';
import { PrismaUserDirectory } from './adapters/prisma-user-directory';
import { RedisContactReservations, RedisRejections, RedisSessionRevocations, ScannedRequestRecords } from './adapters/redis-user-keys';
import { settleLostWal } from './domain/lost-wal';
import { call, ensureRequestOutcomeColumns, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

// `lost-wal --apply` while the surviving replica keeps taking writes for the very names it settles
// (replicas.int.spec.ts covers it without traffic). Each round: replica b accepts sign-ups and
// password changes, its WAL is lost, a takes every name, and then, all at once: the settlement; the
// lost sign-ups' clients retrying their names (half with the same contacts, half someone else);
// password changes, deletes and nickname changes of the accounts whose change was lost; sign-ups of
// other names; and a consumer played by the test, applying a's WAL as it grows (row committed, then
// marker cleared and contacts released, as user-consumer does). Afterwards every request anyone was
// told of has exactly one final outcome, and the surviving replica's requests none from the
// settlement. The settlement runs in this process with the adapters `npm run lost-wal` builds, so
// its steps interleave with the traffic.
const ROUNDS = Number(process.env.LOST_WAL_RACE_ROUNDS ?? 4);
const LOST_SIGN_UPS = 20;
const LOST_CHANGES = 6;
const OTHER_SIGN_UPS = 10;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = (maxMs: number) => sleep(Math.floor(Math.random() * maxMs));
/** A client's write: a 503 promises nothing was written (e.g. the hash workers are saturated on a busy machine), so it retries. */
const untilAnswered = async (send: () => ReturnType<typeof call>) => {
  for (const deadline = Date.now() + 30_000; ; await sleep(20)) {
    const r = await send();
    if (r.status !== 503 || Date.now() > deadline) return r;
  }
};
const normalised = (user: { email: string; phone: string }) => ({ email: user.email.toLowerCase(), phone: user.phone.replace(/\s/g, '') });

describe('a lost WAL settled while the surviving replica takes writes for the same names', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const keyPrefix = `lwrace-${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true, keyPrefix });
  const markers = new PendingMarkerStore(redis, { ttlMs: 0 });
  let urls: string[];
  let aWalDir: string;
  let a: Awaited<ReturnType<typeof startInProcess>> | undefined;
  // a keeps one WAL across its restarts, so the test's consumer reads all it ever accepted.
  const startA = async (members: string[]) => {
    await a?.stop();
    a = await startInProcess({ databaseUrl: db.url, redisKeyPrefix: keyPrefix, port: Number(new URL(urls[0]).port), replicas: { members, self: urls[0] }, walName: 'uc-a', walDir: aWalDir, walPath: path.join(aWalDir, 'user-command') });
    return a;
  };
  const startB = (walName: string) => startInProcess({ databaseUrl: db.url, redisKeyPrefix: keyPrefix, port: Number(new URL(urls[1]).port), replicas: { members: urls, self: urls[1] }, walName });
  const nameOwnedBy = (url: string) => {
    for (;;) {
      const user = newUser('race');
      if (ownerOf(urls, user.username) === url) return user;
    }
  };

  /** What `npm run lost-wal -- --apply` runs (lost-wal.ts), here in-process so its steps interleave with the traffic. */
  const settle = (walName: string) => {
    const directory = new PrismaUserDirectory(prisma);
    return settleLostWal(
      {
        requests: new ScannedRequestRecords(redis, keyPrefix),
        consumerRecords: new PrismaConsumerRecords(prisma),
        markers,
        reservations: new RedisContactReservations(redis, createLogger('lost-wal', { level: 'silent' })),
        rejections: new RedisRejections(redis),
        accounts: { find: (username) => directory.loadForCache(username), stateOf: (username) => directory.stateOf(username) },
        sessions: new RedisSessionRevocations(redis),
      },
      walName,
      { apply: true },
    );
  };

  // The consumer, played by the test: applies a's WAL in order. At each apply it checks what had to
  // hold from the 202 until then: a sign-up's contacts still reserved for its name, a change that
  // revokes sessions still refusing tokens on the version it replaces.
  const applied = new Set<string>();
  const violations: string[] = [];
  const processed = (event: EventEnvelope, outcome: string, reason: string | null) =>
    prisma.$executeRawUnsafe('INSERT INTO processed_events (event_id, username, event_type, outcome, reason) VALUES ($1::uuid, $2, $3, $4, $5)', event.eventId, event.username, event.type, outcome, reason);
  const applyCreate = async (event: EventEnvelope & { type: 'user.created' }) => {
    const { email, phone, passwordHash } = event.payload;
    for (const [kind, value] of [['email', email], ['phone', phone]] as const) {
      const holder = await contactHolder(redis, kind, value);
      if (holder !== event.username) violations.push(`${event.eventId} (sign-up ${event.username}): its ${kind} reservation is held by ${holder} before it was applied`);
    }
    if (await prisma.user.findUnique({ where: { username: event.username } })) await processed(event, 'rejected', 'username_taken');
    else {
      await prisma.user.create({ data: { username: event.username, accountId: event.accountId, email, phone, passwordHash, lastEventId: event.eventId } });
      await processed(event, 'applied', null);
    }
    await markers.clear(event.username, event.eventId);
    for (const [kind, value] of [['email', email], ['phone', phone]] as const) await releaseContact(redis, kind, value, event.username);
  };
  const applyChange = async (event: EventEnvelope) => {
    const row = await prisma.user.findUniqueOrThrow({ where: { username: event.username } });
    const revokes = event.type === 'user.deleted' || (event.type === 'user.updated' && event.payload.passwordHash !== undefined);
    if (revokes) {
      const minVersion = (await readSessionRevocation(redis, row.accountId))?.minVersion ?? 0;
      if (minVersion <= row.credentialVersion) violations.push(`${event.eventId} (${event.type} ${event.username}): tokens on version ${row.credentialVersion} were let in again before it was applied (min version ${minVersion})`);
    }
    const data = event.type === 'user.deleted' ? { state: 'deleted' as const, deletedAt: new Date() } : event.type === 'user.updated' && event.payload.nickname !== undefined ? { nickname: event.payload.nickname } : {};
    await prisma.user.update({ where: { username: event.username }, data: { ...data, credentialVersion: row.credentialVersion + (revokes ? 1 : 0), lastEventId: event.eventId } });
    await processed(event, 'applied', null);
  };
  const consumeOnce = async () => {
    let events: EventEnvelope[];
    try {
      events = await walEvents(path.join(aWalDir, 'user-command'));
    } catch {
      return; // a group commit half-written: the next pass reads it
    }
    for (const event of events) {
      if (applied.has(event.eventId)) continue;
      applied.add(event.eventId);
      await (event.type === 'user.created' ? applyCreate(event) : applyChange(event));
    }
  };
  const consumeUntil = async (done: () => boolean) => {
    while (!done()) {
      await consumeOnce();
      await sleep(5);
    }
    await consumeOnce();
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 4 });
    await ensureRequestOutcomeColumns(prisma);
    urls = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    aWalDir = await mkdtemp(path.join(os.tmpdir(), 'user-command-wal-'));
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await rm(aWalDir, { recursive: true, force: true });
    await prisma?.$disconnect();
    await db?.drop();
    // KEYS matches whole keys (no prefix added), so they are deleted through a client without one.
    const keys = await redis.keys(`${keyPrefix}*`);
    const plain = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
    if (keys.length) await plain.del(...keys);
    await plain.quit();
    await redis.quit();
  });

  it(`${ROUNDS} rounds of ${LOST_SIGN_UPS} lost sign-ups and ${LOST_CHANGES} lost changes: every request ends once, nothing the survivor accepted is touched`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      // b accepts, then its volume is lost before anything was shipped.
      await startA(urls);
      const lostWal = `uc-b-${round}`;
      const b = await startB(lostWal);
      const lostSignUps = Array.from({ length: LOST_SIGN_UPS }, () => nameOwnedBy(urls[1]));
      const lostIds = new Map<string, string>();
      for (const user of lostSignUps) {
        const accepted = await call(b.url, 'POST', '/internal/users', user);
        expect(accepted.status).toBe(202);
        lostIds.set(user.username, accepted.body.requestId as string);
      }
      const accounts: Array<{ user: ReturnType<typeof newUser>; row: { accountId: string; credentialVersion: number } }> = [];
      for (let i = 0; i < LOST_CHANGES; i++) {
        const user = nameOwnedBy(urls[1]);
        const row = await prisma.user.create({ data: { username: user.username, ...normalised(user), passwordHash: '$2b$04$' + 'x'.repeat(53) } });
        const change = await call(b.url, 'PATCH', `/internal/users/${user.username}`, { password: `lost password ${i}` }, { id: user.username, role: 'user' });
        expect(change.status).toBe(202);
        lostIds.set(`${user.username}#change`, change.body.requestId as string);
        accounts.push({ user, row });
      }
      await b.cleanup(); // the WAL with it
      await startA([urls[0]]); // the hand-over: a owns every name now

      // All at once: the settlement, the clients, the consumer.
      const told: Array<{ requestId: string; username: string; what: string }> = [];
      const fresh = new Map<string, string>(); // freed name → the new sign-up's request id
      const tell = (requestId: string, username: string, what: string) => told.push({ requestId, username, what });
      const signUpAgain = async (lost: (typeof lostSignUps)[number], i: number) => {
        const body = i % 2 === 0 ? lost : { ...newUser('race'), username: lost.username }; // the same person retrying, or someone else
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(2)) {
          const r = await untilAnswered(() => call(a!.url, 'POST', '/internal/users', body));
          if (r.status === 202) {
            tell(r.body.requestId as string, lost.username, 'sign-up of a freed name');
            if (r.body.requestId !== lostIds.get(lost.username)) return void fresh.set(lost.username, r.body.requestId as string);
          } else if (r.status !== 409) throw new Error(`sign-up of ${lost.username}: ${r.status} ${JSON.stringify(r.body)}`);
        }
        throw new Error(`${lost.username} was never freed`);
      };
      const changeAgain = async ({ user }: (typeof accounts)[number], i: number) => {
        await jitter(60);
        const admin = { id: 'root', role: 'admin' as const };
        const r = await untilAnswered(() =>
          i % 3 === 0
            ? call(a!.url, 'PATCH', `/internal/users/${user.username}`, { password: `new password ${i}` }, { id: user.username, role: 'user' })
            : i % 3 === 1
              ? call(a!.url, 'DELETE', `/internal/users/${user.username}`, undefined, admin)
              : call(a!.url, 'PATCH', `/internal/users/${user.username}`, { nickname: `nick${i}` }, { id: user.username, role: 'user' }),
        );
        expect(r.status).toBe(202);
        tell(r.body.requestId as string, user.username, 'change of an account whose change was lost');
      };
      const otherSignUp = async () => {
        await jitter(60);
        const user = newUser('race');
        const r = await untilAnswered(() => call(a!.url, 'POST', '/internal/users', user));
        expect(r.status).toBe(202);
        tell(r.body.requestId as string, user.username, 'sign-up of another name');
      };
      let trafficDone = false;
      const traffic = Promise.all([...lostSignUps.map(signUpAgain), ...accounts.map(changeAgain), ...Array.from({ length: OTHER_SIGN_UPS }, otherSignUp)]).finally(() => (trafficDone = true));
      const [report] = await Promise.all([jitter(30).then(() => settle(lostWal)), traffic, consumeUntil(() => trafficDone)]);
      await consumeOnce();

      expect(report.lost.map((r) => r.requestId).sort()).toEqual([...lostIds.values()].sort());
      expect(report.signUpsReleased.sort()).toEqual(lostSignUps.map((u) => u.username).sort());
      expect((await settle(lostWal)).lost).toEqual([]); // settled once
      expect(violations).toEqual([]);
      // Every request anyone was told of (b's clients included) reads one final outcome.
      for (const [username, requestId] of lostIds) tell(requestId, username.replace(/#change$/, ''), 'accepted by the lost replica');
      for (const { requestId, username, what } of told) {
        const outcome = await call(a!.url, 'GET', `/internal/requests/${requestId}`);
        const expected = [...lostIds.values()].includes(requestId) ? { state: 'rejected', reason: 'wal_lost' } : { state: 'applied' };
        expect({ requestId, username, what, status: outcome.status, ...expected }).toEqual({ requestId, username, what, status: 200, state: outcome.body?.state, reason: outcome.body?.reason });
      }
      // A freed name signed up again ends with that sign-up's outcome; nothing stays pending.
      for (const [username] of fresh) {
        const state = await call(a!.url, 'GET', `/internal/users/${username}/state`, undefined, { id: username, role: 'user' });
        expect({ username, ...state.body }).toEqual({ username, state: 'active' });
        expect(await markers.read(username)).toBeNull();
      }
    }
  }, 600_000);
});
