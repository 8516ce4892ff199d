import { decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { json, loginAs, signUp, startSystem, uniqueUser, untilApplied, type System, type TokenPair } from './harness';

// Authorisation as docs/api.md states it, against the running system: every gateway route × every
// kind of caller, one expected answer per cell, plus forged tokens on an authenticated route.
// The disabled and deleted callers hold tokens taken while their account was still active.

/** SESSION_CHECK_CACHE_TTL: how long the gateway may still accept a revoked account's access token. */
const SESSION_BOUND_MS = 1000;
const JWT_SECRET = `e2e-matrix-jwt-secret-${randomUUID()}`;
const ADMIN = { ADMIN_USERNAME: 'e2e_matrix_admin', ADMIN_PASSWORD: 'e2e-matrix-admin-pw', ADMIN_EMAIL: 'e2e_matrix_admin@usersys.local', ADMIN_PHONE: '+19990000131' };

const CALLERS = ['anonymous', 'other', 'owner', 'admin', 'disabled', 'deleted'] as const;
type CallerKind = (typeof CALLERS)[number];
/** A success only needs its class; a refusal its exact status. */
type Expected = '2xx' | 400 | 401 | 403 | 404;

/**
 * Whose resource `{u}` names: `anonymous` and `other` act on a bystander's account, `owner` on its
 * own, `admin` on the bystander's, `disabled` and `deleted` on their own. Routes that destroy or
 * disable their target give the owner and the admin cell an account of their own (`fresh`); enable
 * gives the admin a disabled account (`disabled`).
 */
type Targets = 'shared' | 'fresh' | 'disabled';

interface Row {
  route: string;
  targets: Targets;
  expected: Record<CallerKind, Expected>;
}

const row = (route: string, targets: Targets, cells: Expected[]): Row => ({ route, targets, expected: Object.fromEntries(CALLERS.map((c, i) => [c, cells[i]])) as Record<CallerKind, Expected> });

const MATRIX: Row[] = [
  //   route                                      targets       anonymous  other  owner  admin  disabled  deleted
  row('POST /v1/auth/login',                     'shared',     ['2xx',    '2xx', '2xx', '2xx', 401,      401]),
  row('POST /v1/auth/refresh',                   'shared',     [400,      '2xx', '2xx', '2xx', 401,      401]),
  // Logging out an already revoked session is harmless and idempotent (RFC 7009 answers it with success).
  row('POST /v1/auth/logout',                    'shared',     [400,      '2xx', '2xx', '2xx', '2xx',    '2xx']),
  row('POST /v1/users',                          'shared',     ['2xx',    '2xx', '2xx', '2xx', 401,      401]),
  row('GET /v1/requests/{id}',                   'shared',     ['2xx',    '2xx', '2xx', '2xx', '2xx',    '2xx']),
  row('GET /v1/users/{u}/state',                 'shared',     [401,      403,   '2xx', '2xx', 401,      401]),
  row('GET /v1/users/{u}',                       'shared',     [401,      403,   '2xx', '2xx', 401,      401]),
  row('PATCH /v1/users/{u}',                     'shared',     [401,      403,   '2xx', '2xx', 401,      401]),
  row('DELETE /v1/users/{u}',                    'fresh',      [401,      403,   '2xx', '2xx', 401,      401]),
  row('DELETE /v1/users/{u}/force',              'fresh',      [401,      403,   403,   '2xx', 401,      401]),
  row('POST /admin/users/{u}/disable',           'fresh',      [401,      403,   403,   '2xx', 401,      401]),
  row('POST /admin/users/{u}/enable',            'disabled',   [401,      403,   403,   '2xx', 401,      401]),
  row('GET /admin/lockouts/{u}',                 'shared',     [401,      403,   403,   '2xx', 401,      401]),
  row('DELETE /admin/lockouts/{u}',              'shared',     [401,      403,   403,   '2xx', 401,      401]),
  row('GET /admin/ratelimit/login',              'shared',     [401,      403,   403,   '2xx', 401,      401]),
  row('PUT /admin/ratelimit/login',              'shared',     [401,      403,   403,   '2xx', 401,      401]),
  row('GET /healthz',                            'shared',     ['2xx',    '2xx', '2xx', '2xx', '2xx',    '2xx']),
  row('GET /readyz',                             'shared',     ['2xx',    '2xx', '2xx', '2xx', '2xx',    '2xx']),
  row('GET /metrics',                            'shared',     ['2xx',    '2xx', '2xx', '2xx', '2xx',    '2xx']),
];

interface Account {
  username: string;
  password: string;
  /** Request id of its sign-up. */
  requestId: string;
  tokens: TokenPair;
  /** Sessions taken before the account was disabled or deleted (it cannot log in any more). */
  spares: TokenPair[];
}

interface Cell {
  caller?: Account;
  target: Account;
}

interface Answer {
  status: number;
  body: string;
}

const answerOf = async (res: Response): Promise<Answer> => ({ status: res.status, body: (await res.text()).slice(0, 300) });
const classOf = (status: number): Expected | number => (status >= 200 && status < 300 ? '2xx' : status);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('authorisation matrix: every gateway route × every kind of caller', () => {
  let system: System;
  let admin: Account;
  let victim: Account, other: Account, owner: Account, disabled: Account, deleted: Account, disabledForEnable: Account;
  const fresh = new Map<string, Account>();
  let loginLimit: { value: number; window: string; effective: boolean };
  const answers = new Map<string, Answer>();

  const bearer = (a?: Account): Record<string, string> => (a ? { authorization: `Bearer ${a.tokens.accessToken}` } : {});
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    fetch(`${system.gateway}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : json) }, body: body === undefined ? undefined : JSON.stringify(body) });

  async function newAccount(prefix: string, sessions = 1): Promise<Account> {
    const user = uniqueUser(prefix);
    const requestId = await signUp(system.gateway, user);
    await untilApplied(system.gateway, requestId);
    const pairs = await Promise.all(Array.from({ length: sessions }, () => loginAs(system.gateway, user.username, user.password)));
    return { username: user.username, password: user.password, requestId, tokens: pairs[0], spares: pairs.slice(1) };
  }

  /** A refresh token of the caller's own that no other cell uses. */
  async function session(a: Account): Promise<TokenPair> {
    if (a === disabled || a === deleted) {
      const spare = a.spares.pop();
      if (!spare) throw new Error(`no spare session left for ${a.username}`);
      return spare;
    }
    return loginAs(system.gateway, a.username, a.password);
  }

  function cellOf(r: Row, kind: CallerKind): Cell {
    switch (kind) {
      case 'anonymous':
        return { target: victim };
      case 'other':
        return { caller: other, target: victim };
      case 'owner': {
        const self = r.targets === 'fresh' ? fresh.get(`${r.route} owner`)! : owner;
        return { caller: self, target: self };
      }
      case 'admin':
        return { caller: admin, target: r.targets === 'fresh' ? fresh.get(`${r.route} admin`)! : r.targets === 'disabled' ? disabledForEnable : victim };
      case 'disabled':
        return { caller: disabled, target: disabled };
      case 'deleted':
        return { caller: deleted, target: deleted };
    }
  }

  /** The body a route is sent with: the caller's own credentials or session where it takes one. */
  async function bodyOf(route: string, c: Cell): Promise<unknown> {
    switch (route) {
      case 'POST /v1/auth/login': {
        const who = c.caller ?? c.target;
        return { username: who.username, password: who.password };
      }
      case 'POST /v1/auth/refresh':
      case 'POST /v1/auth/logout':
        return c.caller ? { refreshToken: (await session(c.caller)).refreshToken } : {};
      case 'POST /v1/users':
        return uniqueUser('mxnew');
      case 'PATCH /v1/users/{u}':
        return { nickname: 'matrix' };
      case 'PUT /admin/ratelimit/login':
        return loginLimit; // the limit in force, so the other tests sharing this Redis see no change
      default:
        return undefined;
    }
  }

  async function send(r: Row, kind: CallerKind): Promise<Answer> {
    const c = cellOf(r, kind);
    const [method, template] = r.route.split(' ');
    const path = template.replace('{u}', encodeURIComponent(c.target.username)).replace('{id}', c.target.requestId);
    return answerOf(await call(method, path, bearer(c.caller), await bodyOf(r.route, c)));
  }

  beforeAll(async () => {
    system = await startSystem({ ...ADMIN, JWT_SECRET, SESSION_CHECK_CACHE_TTL: `${SESSION_BOUND_MS}ms`, LOGIN_RATE_LIMIT: '100000' });
    const freshKeys = MATRIX.filter((r) => r.targets === 'fresh').flatMap((r) => [`${r.route} owner`, `${r.route} admin`]);
    const adminTokens = await loginAs(system.gateway, ADMIN.ADMIN_USERNAME, ADMIN.ADMIN_PASSWORD);
    admin = { username: ADMIN.ADMIN_USERNAME, password: ADMIN.ADMIN_PASSWORD, requestId: randomUUID(), tokens: adminTokens, spares: [] };
    [victim, other, owner, disabled, deleted, disabledForEnable] = await Promise.all([
      newAccount('mxvictim'),
      newAccount('mxother'),
      newAccount('mxowner'),
      newAccount('mxdisabled', 3),
      newAccount('mxdeleted', 3),
      newAccount('mxenable'),
    ]);
    await Promise.all(freshKeys.map(async (k) => void fresh.set(k, await newAccount('mxfresh'))));
    const limit = await call('GET', '/admin/ratelimit/login', bearer(admin));
    expect(limit.status).toBe(200);
    loginLimit = ((await limit.json()) as { data: typeof loginLimit }).data;

    // The soon disabled and deleted accounts' tokens work now (so their refusal below is the revocation).
    for (const a of [disabled, deleted]) expect((await call('GET', `/v1/users/${a.username}`, bearer(a))).status).toBe(200);
    const changes = await Promise.all([
      call('POST', `/admin/users/${disabled.username}/disable`, bearer(admin)),
      call('POST', `/admin/users/${disabledForEnable.username}/disable`, bearer(admin)),
      call('DELETE', `/v1/users/${deleted.username}`, bearer(deleted)),
    ]);
    const acceptedAt = Date.now();
    expect(changes.map((r) => r.status)).toEqual([202, 202, 202]);
    for (const res of changes) await untilApplied(system.gateway, ((await res.json()) as { requestId: string }).requestId);
    await sleep(Math.max(0, acceptedAt + SESSION_BOUND_MS + 1000 - Date.now()));

    // Every cell at once: no cell changes what another one reads (see Targets).
    await Promise.all(MATRIX.flatMap((r) => CALLERS.map(async (kind) => void answers.set(`${r.route} ${kind}`, await send(r, kind)))));
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
  });

  const cells = MATRIX.flatMap((r) => CALLERS.map((kind) => ({ route: r.route, kind, expected: r.expected[kind] })));
  it.each(cells)('$route as $kind → $expected', ({ route, kind, expected }) => {
    const answer = answers.get(`${route} ${kind}`)!;
    const got = classOf(answer.status);
    expect({ answer: got, ...(got === expected ? {} : { body: answer.body }) }).toEqual({ answer: expected });
  });

  describe('forged and misused tokens on an authenticated route (GET /v1/users/{u})', () => {
    const key = new TextEncoder().encode(JWT_SECRET);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    /** The owner's genuine access token with its claims changed, signed again with `secret`. */
    const resign = (token: string, change: JWTPayload, secret: Uint8Array = key) => {
      const header = decodeProtectedHeader(token) as { alg: string; typ?: string };
      return new SignJWT({ ...decodeJwt(token), ...change }).setProtectedHeader({ alg: header.alg, ...(header.typ ? { typ: header.typ } : {}) }).sign(secret);
    };
    const now = () => Math.floor(Date.now() / 1000);

    type Forgery = { name: string; expected: Expected; send: () => Promise<Response> };
    const getAs = (token: string, username = owner.username) => call('GET', `/v1/users/${username}`, { authorization: `Bearer ${token}` });
    const forgeries: Forgery[] = [
      { name: 'the genuine access token (control)',                          expected: '2xx', send: () => getAs(owner.tokens.accessToken) },
      { name: 'the same claims signed again with the server key (control)',  expected: '2xx', send: async () => getAs(await resign(owner.tokens.accessToken, {})) },
      { name: 'alg none, no signature',                                      expected: 401,   send: () => { const [h, p] = owner.tokens.accessToken.split('.'); return getAs(`${b64({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'none' })}.${p}.`); } },
      { name: 'payload changed (role admin), old signature kept',            expected: 401,   send: () => { const [h, , s] = owner.tokens.accessToken.split('.'); return getAs(`${h}.${b64({ ...decodeJwt(owner.tokens.accessToken), role: 'admin' })}.${s}`, victim.username); } },
      { name: 'payload changed (sub another user), old signature kept',      expected: 401,   send: () => { const [h, , s] = owner.tokens.accessToken.split('.'); return getAs(`${h}.${b64({ ...decodeJwt(owner.tokens.accessToken), sub: victim.username })}.${s}`, victim.username); } },
      { name: 'signed with another secret',                                  expected: 401,   send: async () => getAs(await resign(owner.tokens.accessToken, {}, new TextEncoder().encode(`not-${JWT_SECRET}`))) },
      { name: 'role claim raised to admin, correctly signed: the account role decides', expected: 403, send: async () => getAs(await resign(owner.tokens.accessToken, { role: 'admin' }), victim.username) },
      { name: 'expired (signed with the server key, exp in the past)',      expected: 401,   send: async () => getAs(await resign(owner.tokens.accessToken, { iat: now() - 3600, exp: now() - 60 })) },
      { name: 'a refresh token used as an access token',                    expected: 401,   send: () => getAs(owner.tokens.refreshToken) },
      { name: 'an access token used as a refresh token (POST /v1/auth/refresh)', expected: 401, send: () => call('POST', '/v1/auth/refresh', {}, { refreshToken: owner.tokens.accessToken }) },
    ];
    it.each(forgeries)('$name → $expected', async ({ expected, send: forge }) => {
      const answer = await answerOf(await forge());
      const got = classOf(answer.status);
      expect({ answer: got, ...(got === expected ? {} : { body: answer.body }) }).toEqual({ answer: expected });
    });
  });
});
