import { randomUUID } from 'node:crypto';
import { createPrismaClient } from './client';
import { uniqueViolationFields } from './errors';
import { Prisma, type PrismaClient } from './generated/prisma/client';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';

describe('Prisma client over @prisma/adapter-pg', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2, statementTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  const alice = { username: 'alice', email: 'alice@example.com', phone: '+4915100000001', passwordHash: 'hash' };

  it('inserts and reads a user', async () => {
    const created = await prisma.user.create({ data: alice });
    expect(typeof created.id).toBe('bigint');
    const read = await prisma.user.findUnique({ where: { email: 'alice@example.com' } });
    expect(read).toMatchObject({ ...alice, id: created.id, role: 'user', state: 'active', nickname: null, deletedAt: null });
    expect(read?.createdAt).toBeInstanceOf(Date);
  });

  it('a duplicate email raises P2002 and tells which field collided', async () => {
    const err = await prisma.user
      .create({ data: { ...alice, username: 'alice2', phone: '+4915100000002' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((err as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
    // Raw shape with the pg adapter (no meta.target): the violated constraint's name.
    expect((err as Prisma.PrismaClientKnownRequestError).meta).toMatchObject({
      modelName: 'User',
      driverAdapterError: { cause: { kind: 'UniqueConstraintViolation', constraint: { index: 'users_email_key' } } },
    });
    expect(uniqueViolationFields(err)).toEqual(['email']);
  });

  it('reports the username / phone / eventId collisions too', async () => {
    const dupUsername = await prisma.user
      .create({ data: { ...alice, email: 'other@example.com', phone: '+4915100000003' } })
      .catch((e: unknown) => e);
    expect(uniqueViolationFields(dupUsername)).toEqual(['username']);

    const dupPhone = await prisma.user
      .create({ data: { ...alice, username: 'bob', email: 'bob@example.com' } })
      .catch((e: unknown) => e);
    expect(uniqueViolationFields(dupPhone)).toEqual(['phone']);

    const eventId = randomUUID();
    await prisma.processedEvent.create({ data: { eventId, username: 'alice', eventType: 'UserUpdated' } });
    const dupEvent = await prisma.processedEvent
      .create({ data: { eventId, username: 'alice', eventType: 'UserUpdated' } })
      .catch((e: unknown) => e);
    expect(uniqueViolationFields(dupEvent)).toEqual(['eventId']);
    expect(uniqueViolationFields(new Error('nope'))).toBeNull();
  });

  it('runs the consumer pattern: change + idempotency record in one transaction', async () => {
    const eventId = randomUUID();
    await prisma.$transaction([
      prisma.user.update({ where: { username: 'alice' }, data: { nickname: 'Al', lastEventId: eventId } }),
      prisma.processedEvent.create({ data: { eventId, username: 'alice', eventType: 'UserUpdated' } }),
    ]);
    expect(await prisma.user.findUnique({ where: { username: 'alice' } })).toMatchObject({ nickname: 'Al', lastEventId: eventId });
    await prisma.loginAudit.create({ data: { username: 'Alice ', clientIp: '127.0.0.1', result: 'success' } });
    expect(await prisma.loginAudit.count({ where: { username: 'Alice ' } })).toBe(1);
  });
});
