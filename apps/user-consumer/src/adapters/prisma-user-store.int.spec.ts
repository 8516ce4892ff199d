import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { randomUUID } from 'node:crypto';
import { accessEvent, createdEvent, deletedEvent, HASH, uniqueName, updatedEvent } from '@usersys/user-consumer-testing/fixtures';
import { PrismaUserStore } from './prisma-user-store';

// Against a fresh, migrated PostgreSQL database (shared server, own database).
describe('PrismaUserStore', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let store: PrismaUserStore;
  const plain = { degrade: false };

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 3 });
    store = new PrismaUserStore(prisma);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('writes a batch of creates in one statement and is idempotent by event id', async () => {
    const events = Array.from({ length: 20 }, () => createdEvent(uniqueName(), { nickname: 'nick' }));
    const first = await store.write(events, plain);
    expect(first.map((r) => r.kind)).toEqual(events.map(() => 'applied'));
    expect(first[0].row).toMatchObject({ username: events[0].username, state: 'active', nickname: 'nick', lastEventId: events[0].eventId });
    const again = await store.write(events, plain);
    expect(again.map((r) => r.kind)).toEqual(events.map(() => 'duplicate'));
    expect(await prisma.user.count({ where: { username: { in: events.map((e) => e.username) } } })).toBe(20);
    expect(await prisma.processedEvent.count({ where: { eventId: { in: events.map((e) => e.eventId) } } })).toBe(20);
  });

  it('rejects a create whose email another user holds, and says so again on redelivery', async () => {
    const holder = createdEvent(uniqueName());
    await store.write([holder], plain);
    const loser = createdEvent(uniqueName(), { email: (holder.payload as { email: string }).email });
    const other = createdEvent(uniqueName());
    const [r1, r2] = await store.write([loser, other], plain);
    expect(r1).toMatchObject({ kind: 'rejected', field: 'email', row: null });
    expect(r2.kind).toBe('applied');
    const [again] = await store.write([loser], plain);
    expect(again).toMatchObject({ kind: 'duplicate', field: 'email' });
  });

  it('rejects a create for a name that exists with another event (marker expired, second sign-up): username_taken', async () => {
    const name = uniqueName();
    await store.write([createdEvent(name)], plain);
    const second = createdEvent(name);
    const [r] = await store.write([second], plain);
    expect(r).toMatchObject({ kind: 'rejected', reasonCode: 'username_taken' });
    expect(await prisma.processedEvent.findUnique({ where: { eventId: second.eventId } })).toMatchObject({ outcome: 'rejected', reason: 'username_taken' });
    const [again] = await store.write([second], plain); // redelivered: still the same outcome
    expect(again.kind).toBe('duplicate');
    expect(await prisma.processedEvent.findUnique({ where: { eventId: second.eventId } })).toMatchObject({ outcome: 'rejected', reason: 'username_taken' });
  });

  it('applies update, soft delete and force delete in order; events for deleted users are skipped', async () => {
    const name = uniqueName();
    await store.write([createdEvent(name, { nickname: 'a' })], plain);
    const [u] = await store.write([updatedEvent(name, { nickname: 'b', email: `${name}@new.example.com` })], plain);
    expect(u).toMatchObject({ kind: 'applied', row: { nickname: 'b', email: `${name}@new.example.com` } });
    const [d] = await store.write([deletedEvent(name)], plain);
    expect(d).toMatchObject({ kind: 'applied', row: { state: 'deleted' } });
    const [u2] = await store.write([updatedEvent(name, { nickname: 'c' })], plain);
    expect(u2).toMatchObject({ kind: 'skipped', reason: 'user is deleted', row: { nickname: 'b', state: 'deleted' } });
    const [d2] = await store.write([deletedEvent(name)], plain);
    expect(d2.kind).toBe('skipped');
    const [f] = await store.write([deletedEvent(name, true)], plain);
    expect(f).toMatchObject({ kind: 'applied', row: { state: 'deleted', username: name } });
    expect(await prisma.user.findUnique({ where: { username: name } })).toBeNull();
    const u3event = updatedEvent(name, { nickname: 'd' });
    const [u3] = await store.write([u3event], plain);
    expect(u3).toMatchObject({ kind: 'skipped', reason: 'user does not exist', row: null });
    // The reasons the request state shows (processed_events.reason).
    const reasons = await prisma.processedEvent.findMany({ where: { username: name }, select: { eventId: true, outcome: true, reason: true } });
    expect(reasons).toEqual(
      expect.arrayContaining([
        { eventId: u.eventId, outcome: 'applied', reason: null },
        { eventId: u2.eventId, outcome: 'skipped', reason: 'user_deleted' },
        { eventId: d2.eventId, outcome: 'skipped', reason: 'user_deleted' },
        { eventId: u3event.eventId, outcome: 'skipped', reason: 'user_not_found' },
      ]),
    );
    // The name is free again after a force delete: a NEW sign-up may take it; the old create may not come back.
    const fresh = createdEvent(name);
    expect((await store.write([fresh], plain))[0].kind).toBe('applied');
  });

  it('rejects an update to an email another user holds', async () => {
    const a = createdEvent(uniqueName());
    const b = createdEvent(uniqueName());
    await store.write([a, b], plain);
    const [r] = await store.write([updatedEvent(b.username, { email: (a.payload as { email: string }).email })], plain);
    expect(r).toMatchObject({ kind: 'rejected', field: 'email', row: { username: b.username } });
  });

  it('degrade: writes core columns only and the repair job fills the rest', async () => {
    const name = uniqueName();
    const [r] = await store.write([createdEvent(name, { nickname: 'later' })], { degrade: true });
    expect(r.row?.nickname).toBeNull();
    const repaired = await store.repairDeferred(1000);
    expect(repaired.find((row) => row.username === name)?.nickname).toBe('later');
    expect((await prisma.user.findUnique({ where: { username: name } }))?.nickname).toBe('later');
  });

  it('degrade: a nickname written later wins over a deferred one', async () => {
    const name = uniqueName();
    await store.write([createdEvent(name, { nickname: 'old' })], { degrade: true });
    await store.write([updatedEvent(name, { nickname: 'new' })], plain);
    await store.repairDeferred(1000);
    expect((await prisma.user.findUnique({ where: { username: name } }))?.nickname).toBe('new');
  });

  it('records email_taken / phone_taken for creates that lose a unique email or phone', async () => {
    const holder = createdEvent(uniqueName());
    await store.write([holder], plain);
    const byEmail = createdEvent(uniqueName(), { email: (holder.payload as { email: string }).email });
    const byPhone = createdEvent(uniqueName(), { phone: (holder.payload as { phone: string }).phone });
    const [e, p] = await store.write([byEmail, byPhone], plain);
    expect([e, p]).toMatchObject([{ kind: 'rejected', field: 'email', reasonCode: 'email_taken' }, { kind: 'rejected', field: 'phone', reasonCode: 'phone_taken' }]);
    expect(await prisma.processedEvent.findMany({ where: { eventId: { in: [byEmail.eventId, byPhone.eventId] } }, select: { outcome: true, reason: true }, orderBy: { reason: 'asc' } })).toEqual([
      { outcome: 'rejected', reason: 'email_taken' },
      { outcome: 'rejected', reason: 'phone_taken' },
    ]);
    // A redelivery records the rejection in Redis again: its field comes from the recorded reason.
    expect((await store.write([byEmail], plain))[0]).toMatchObject({ kind: 'duplicate', field: 'email' });
  });

  it('a value PostgreSQL refuses (NUL in a text column) fails the write as a data error; parking keeps the raw bytes', async () => {
    const name = uniqueName();
    const bad = { ...createdEvent(name), payload: { ...(createdEvent(name).payload as object), nickname: 'a\u0000b' } } as ReturnType<typeof createdEvent>;
    const err = await store.write([bad], plain).then(
      () => null,
      (e: unknown) => e,
    );
    expect(store.classify(err)).toBe('data');
    const update = updatedEvent(name, { nickname: 'fine' });
    const err2 = await store.write([{ ...update, payload: { nickname: 'x\u0000' } } as typeof update], plain).then(
      () => null,
      (e: unknown) => e,
    );
    expect(store.classify(err2)).toBe('data');
    // The bytes the topic carried, NUL escape and lone surrogate included, park as they are.
    const raw = Buffer.from(JSON.stringify(bad).replace('a\\u0000b', 'a\\u0000\\ud800b'));
    await store.setHead(bad, { 'event-id': bad.eventId, weird: 'h\u0000' }, { attempts: 0, status: 'dead', error: 'invalid data', reason: 'invalid_data' }, raw);
    expect(await prisma.parkedUser.findUnique({ where: { username: name } })).toMatchObject({ status: 'dead', reason: 'invalid_data' });
    expect(await store.appendParked(update, { 'event-id': update.eventId }, Buffer.from('{"not":"json\u0000"'))).toBe(true);
    const next = await store.nextParked(name);
    expect(next).toMatchObject({ event: null, headers: { 'event-id': update.eventId } });
    expect(next!.value.toString()).toBe('{"not":"json\u0000"');
    const head = await prisma.parkedUser.findUnique({ where: { username: name } });
    expect(Buffer.from(head!.headEvent).equals(raw)).toBe(true);
  });

  it('parks a user behind a head event, queues later events in order and unparks when drained', async () => {
    const name = uniqueName();
    const head = createdEvent(name);
    expect(await store.appendParked(updatedEvent(name, { nickname: 'x' }), {})).toBe(false);
    await store.setHead(head, { traceparent: 'x' }, { attempts: 1, status: 'retrying', error: 'boom' });
    expect((await store.parkedUsers([name])).get(name)).toMatchObject({ headEventId: head.eventId, status: 'retrying', attempts: 1 });
    const later = [updatedEvent(name, { nickname: '1' }), updatedEvent(name, { nickname: '2' })];
    for (const e of later) expect(await store.appendParked(e, {})).toBe(true);
    expect(await store.appendParked(later[0], {})).toBe(true); // redelivery: still once
    const first = await store.nextParked(name);
    expect((first?.event as { eventId: string }).eventId).toBe(later[0].eventId);
    await store.removeParked(first!.seq);
    const second = await store.nextParked(name);
    expect((second?.event as { eventId: string }).eventId).toBe(later[1].eventId);
    await store.removeParked(second!.seq);
    expect(await store.nextParked(name)).toBeNull();
    expect((await store.parkedUsers([name])).size).toBe(0);
  });

  it('counts parked users by status (the user_consumer_parked_users gauge)', async () => {
    const before = await store.countParked();
    const [a, b, c] = [uniqueName(), uniqueName(), uniqueName()];
    await store.setHead(createdEvent(a), {}, { attempts: 1, status: 'retrying', error: 'boom' });
    await store.setHead(createdEvent(b), {}, { attempts: 2, status: 'retrying', error: 'boom' });
    await store.setHead(createdEvent(c), {}, { attempts: 5, status: 'dead', error: 'boom', reason: 'retries_exhausted' });
    expect(await store.countParked()).toEqual({ retrying: before.retrying + 2, dead: before.dead + 1 });
    expect(await store.nextParked(a)).toBeNull(); // nothing queued behind it: unparked
    expect(await store.countParked()).toEqual({ retrying: before.retrying + 1, dead: before.dead + 1 });
  });

  describe('accounts', () => {
    const outcome = (eventId: string) => prisma.processedEvent.findUnique({ where: { eventId }, select: { outcome: true, reason: true } });
    const row = (username: string) => prisma.user.findUnique({ where: { username }, select: { accountId: true, credentialVersion: true, state: true, nickname: true } });

    it('a create inserts the account id of its event; a create without one (version 1) gets a new one', async () => {
      const accountId = randomUUID();
      const [withId, withoutId] = await store.write([createdEvent(uniqueName(), { accountId }), createdEvent(uniqueName())], plain);
      expect(withId.row).toMatchObject({ accountId, credentialVersion: 0 });
      expect(await row(withId.row!.username)).toMatchObject({ accountId, credentialVersion: 0 });
      expect(withoutId.row!.accountId).toMatch(/^[0-9a-f-]{36}$/);
      expect(withoutId.row!.accountId).not.toBe(accountId);
      expect(await row(withoutId.row!.username)).toMatchObject({ accountId: withoutId.row!.accountId });
    });

    it('a password change, a disable and a soft delete raise the credential version; other updates and an enable do not', async () => {
      const name = uniqueName();
      const accountId = randomUUID();
      await store.write([createdEvent(name, { accountId })], plain);
      const steps: Array<[ReturnType<typeof createdEvent>, string, number]> = [
        [updatedEvent(name, { nickname: 'n' }, accountId), 'active', 0],
        [updatedEvent(name, { passwordHash: HASH }, accountId), 'active', 1],
        [accessEvent(name, 'disable', accountId), 'disabled', 2],
        [updatedEvent(name, { nickname: 'while disabled' }, accountId), 'disabled', 2],
        [accessEvent(name, 'enable', accountId), 'active', 2],
        [accessEvent(name, 'enable', accountId), 'active', 2], // already active: applied, no change
        [deletedEvent(name, false, accountId), 'deleted', 3],
      ];
      for (const [event, state, version] of steps) {
        const [r] = await store.write([event], plain);
        expect([event.type, r.kind, r.row]).toEqual([event.type, 'applied', expect.objectContaining({ accountId, state, credentialVersion: version })]);
        expect(await row(name)).toMatchObject({ state, credentialVersion: version });
        expect(await outcome(event.eventId)).toEqual({ outcome: 'applied', reason: null });
      }
      // A redelivered password change raises nothing again.
      const [again] = await store.write([steps[1][0]], plain);
      expect(again).toMatchObject({ kind: 'duplicate', row: { credentialVersion: 3 } });
      // A force delete removes the row; the tombstone for the cache carries the raised version.
      const [gone] = await store.write([deletedEvent(name, true, accountId)], plain);
      expect(gone).toMatchObject({ kind: 'applied', row: { accountId, state: 'deleted', credentialVersion: 4 } });
      expect(await row(name)).toBeNull();
    });

    it('disable and enable of a deleted user are skipped (user_deleted), of an absent one (user_not_found)', async () => {
      const name = uniqueName();
      const accountId = randomUUID();
      await store.write([createdEvent(name, { accountId })], plain);
      await store.write([deletedEvent(name, false, accountId)], plain);
      const disable = accessEvent(name, 'disable', accountId);
      const enable = accessEvent(name, 'enable', accountId);
      expect((await store.write([disable], plain))[0]).toMatchObject({ kind: 'skipped', reasonCode: 'user_deleted', row: { state: 'deleted', credentialVersion: 1 } });
      expect((await store.write([enable], plain))[0]).toMatchObject({ kind: 'skipped', reasonCode: 'user_deleted', row: { state: 'deleted' } });
      expect(await outcome(disable.eventId)).toEqual({ outcome: 'skipped', reason: 'user_deleted' });
      expect(await outcome(enable.eventId)).toEqual({ outcome: 'skipped', reason: 'user_deleted' });
      const nobody = accessEvent(uniqueName(), 'disable', randomUUID());
      expect((await store.write([nobody], plain))[0]).toMatchObject({ kind: 'skipped', reasonCode: 'user_not_found', row: null });
      expect(await outcome(nobody.eventId)).toEqual({ outcome: 'skipped', reason: 'user_not_found' });
    });

    it('events meant for a force-deleted account are skipped (user_not_found) once its name belongs to a new account', async () => {
      const name = uniqueName();
      const oldAccount = randomUUID();
      const newAccount = randomUUID();
      await store.write([createdEvent(name, { accountId: oldAccount })], plain);
      await store.write([deletedEvent(name, true, oldAccount)], plain);
      await store.write([createdEvent(name, { accountId: newAccount, nickname: 'new owner' })], plain);
      const stale = [updatedEvent(name, { nickname: 'old owner', passwordHash: HASH }, oldAccount), accessEvent(name, 'disable', oldAccount), deletedEvent(name, false, oldAccount), deletedEvent(name, true, oldAccount)];
      for (const event of stale) {
        const [r] = await store.write([event], plain);
        // The new account's row is untouched, and is what the cache gets (never a tombstone).
        expect([event.type, r]).toEqual([event.type, expect.objectContaining({ kind: 'skipped', reasonCode: 'user_not_found', row: expect.objectContaining({ accountId: newAccount, state: 'active', credentialVersion: 0 }) })]);
        expect(await outcome(event.eventId)).toEqual({ outcome: 'skipped', reason: 'user_not_found' });
      }
      expect(await row(name)).toEqual({ accountId: newAccount, credentialVersion: 0, state: 'active', nickname: 'new owner' });
      // The new account's own events (and version 1 events without an account id) still apply.
      expect((await store.write([accessEvent(name, 'disable', newAccount)], plain))[0]).toMatchObject({ kind: 'applied', row: { state: 'disabled', credentialVersion: 1 } });
      expect((await store.write([accessEvent(name, 'enable')], plain))[0]).toMatchObject({ kind: 'applied', row: { state: 'active', credentialVersion: 1 } });
    });
  });
});
