import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { Redis } from 'ioredis';
import { call, newUser, startInProcess, TOKEN, walEvents } from '@usersys/user-command-testing';

// Edge validation through real HTTP: every text field of every request, each class of character
// PostgreSQL (or the contract) refuses, sent as JSON escapes and as raw UTF-8 bytes. Each answer
// must be 400 naming the field, and nothing may be written: no WAL record, no pending marker.
describe('user-command refuses control characters and unpaired surrogates in every text field', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let service: Awaited<ReturnType<typeof startInProcess>>;
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true });
  const tried: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    service = await startInProcess({ databaseUrl: db.url, hashWorkers: 1 });
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    await service?.cleanup();
    await prisma?.$disconnect();
    await db?.drop();
    redis.disconnect();
  });

  // C0 (NUL, SOH, tab, newline, US), DEL, C1 (first, NEL, last), lone high and low surrogates.
  const CLASSES: Array<[string, string]> = [
    ['NUL', '\u0000'],
    ['SOH', '\u0001'],
    ['tab', '\t'],
    ['newline', '\n'],
    ['US', '\u001f'],
    ['DEL', '\u007f'],
    ['C1 U+0080', '\u0080'],
    ['C1 NEL', '\u0085'],
    ['C1 U+009F', '\u009f'],
    ['lone high surrogate', '\ud800'],
    ['lone low surrogate', '\udc00'],
  ];
  const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  const isC0 = (c: string) => c.charCodeAt(0) < 0x20;
  const isSurrogate = (c: string) => c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff;
  const MARK = '@@BAD@@';

  /** The JSON text of `body` with MARK inserted 4 characters into `field`, then replaced by `insert`. */
  const spoiled = (body: Record<string, string>, field: string, insert: string) => {
    const value = body[field];
    return JSON.stringify({ ...body, [field]: `${value.slice(0, 4)}${MARK}${value.slice(4)}` }).replace(MARK, insert);
  };
  const send = async (method: string, path: string, json: string | Buffer, caller?: string) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-internal-token': TOKEN, 'x-caller-role': caller ? 'user' : 'anonymous', ...(caller ? { 'x-caller-id': caller } : {}) },
      body: json,
    });
    return { status: res.status, body: (await res.json()) as { code: number; message: string; details?: { problems: Array<{ field: string }> } } };
  };
  const expectRefusal = (res: Awaited<ReturnType<typeof send>>, field: string) => {
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(110001);
    expect(res.body.message).toMatch(new RegExp(`^${field}: must not contain control characters`));
    expect(res.body.details?.problems[0].field).toBe(field);
  };

  it('sign-up: each field with each class, as a JSON escape and as raw bytes → 400 naming the field, nothing written', async () => {
    const before = (await walEvents(service.walPath)).length;
    for (const field of ['username', 'password', 'email', 'phone', 'nickname']) {
      for (const [name, c] of CLASSES) {
        const user = { ...newUser('edge'), nickname: 'Nick name' };
        tried.push(user.username);
        const res = await send('POST', '/internal/users', spoiled(user, field, escaped(c)));
        expect(`${field} ${name} → ${res.status}`).toBe(`${field} ${name} → 400`);
        expectRefusal(res, field);

        if (isSurrogate(c)) continue; // a lone surrogate has no UTF-8 form: raw bytes of one decode to U+FFFD
        const raw = await send('POST', '/internal/users', Buffer.from(spoiled(user, field, c), 'utf8'));
        // JSON itself forbids raw C0 inside a string: the body is not JSON at all.
        if (isC0(c)) expect(raw).toMatchObject({ status: 400, body: { code: 100005 } });
        else expectRefusal(raw, field);
      }
    }
    expect((await walEvents(service.walPath)).length).toBe(before);
    for (const username of tried) expect(await redis.exists(pendingMarkerKey(username))).toBe(0);
    expect(await prisma.user.count()).toBe(0);
  });

  it('update: each field with each class → 400 naming the field, nothing written', async () => {
    const user = newUser('edge');
    await prisma.user.create({ data: { username: user.username, email: user.email.toLowerCase(), phone: user.phone.replace(/\s/g, ''), passwordHash: '$2b$04$' + 'x'.repeat(53) } });
    const before = (await walEvents(service.walPath)).length;
    const valid = { password: 'new-password-1', email: 'new.mail@example.com', phone: '+4915199999999', nickname: 'New nick' };
    for (const field of Object.keys(valid) as Array<keyof typeof valid>) {
      for (const [, c] of CLASSES) {
        expectRefusal(await send('PATCH', `/internal/users/${user.username}`, spoiled({ [field]: valid[field] }, field, escaped(c)), user.username), field);
      }
    }
    expect((await walEvents(service.walPath)).length).toBe(before);
  });

  it('path parameters: a percent-encoded control character → 400 naming username; malformed encoding → 400 JSON', async () => {
    const before = (await walEvents(service.walPath)).length;
    for (const encoded of ['%00', '%01', '%09', '%0A', '%1F', '%7F', '%C2%80', '%C2%85', '%C2%9F']) {
      const name = `ali${encoded}ce`;
      for (const [method, path] of [
        ['GET', `/internal/users/${name}`],
        ['GET', `/internal/users/${name}/state`],
        ['PATCH', `/internal/users/${name}`],
        ['DELETE', `/internal/users/${name}`],
        ['DELETE', `/internal/users/${name}/force`],
      ]) {
        const res = await call(service.url, method, path, method === 'PATCH' ? { nickname: 'x' } : undefined, { id: 'admin', role: 'admin' });
        expect(`${method} ${path} → ${res.status} ${res.body.message}`).toMatch(new RegExp(`→ 400 username: must not contain control characters`));
        expect(res.body.code).toBe(110001);
        expect((res.body.details as { problems: Array<{ field: string }> }).problems[0].field).toBe('username');
      }
    }
    // Not UTF-8 at all (a cut sequence, an encoded lone surrogate): the router cannot decode it.
    for (const path of ['/internal/users/%E0%A4%A', '/internal/users/%ED%A0%80x/state']) {
      expect(await call(service.url, 'GET', path)).toMatchObject({ status: 400, body: { code: 100009, message: 'request path holds malformed percent-encoding' } });
    }
    expect((await walEvents(service.walPath)).length).toBe(before);
  });
});
