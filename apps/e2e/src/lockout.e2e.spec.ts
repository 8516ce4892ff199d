import { json, loginAs, signUp, startSystem, uniqueUser, untilApplied, type System, type TokenPair } from './harness';

// Per-account brute-force protection against the running system: a real account locked by wrong
// passwords answers its right password exactly as an unknown name and a wrong password are
// answered (so a lockout reveals nothing), an attacker's network cannot lock the owner out of
// another network, and an admin sees and clears the lockout.

/** Failures per (username, client network) that lock the pair; low, so the test stays short. */
const THRESHOLD = 3;
const ADMIN = { ADMIN_USERNAME: 'e2e_lockout_admin', ADMIN_PASSWORD: 'e2e-lockout-admin-pw', ADMIN_EMAIL: 'e2e_lockout_admin@usersys.local', ADMIN_PHONE: '+19990000133' };
// Client networks, given through X-Forwarded-For from the loopback proxy the gateway trusts here.
const ATTACKER = '203.0.113.7';
const OWNER_NETWORK = '198.51.100.9';
/**
 * Headers that differ between any two requests whatever they answer: the trace of the request, the
 * clock, and the connection handling. Everything else must be identical.
 */
const PER_REQUEST_HEADERS = ['traceparent', 'tracestate', 'date', 'connection', 'keep-alive'];

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

describe('per-account lockout', () => {
  let system: System;
  let admin: TokenPair;

  beforeAll(async () => {
    system = await startSystem({
      ...ADMIN,
      TRUST_PROXY: 'loopback',
      LOCKOUT_THRESHOLD: String(THRESHOLD),
      LOCKOUT_WINDOW: '10m',
      LOCKOUT_BASE_DURATION: '10m',
      LOCKOUT_MAX_DURATION: '1h',
      // Softer across networks: the attacker's failures alone do not reach it.
      LOCKOUT_GLOBAL_THRESHOLD: String(THRESHOLD * 10),
      LOGIN_RATE_LIMIT: '100000',
    });
    admin = await loginAs(system.gateway, ADMIN.ADMIN_USERNAME, ADMIN.ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await system?.stop();
  });

  const login = async (username: string, password: string, from: string): Promise<Answer> => {
    const res = await fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: { ...json, 'x-forwarded-for': from }, body: JSON.stringify({ username, password }) });
    const headers = Object.fromEntries([...res.headers].filter(([k]) => !PER_REQUEST_HEADERS.includes(k.toLowerCase())));
    return { status: res.status, body: await res.text(), headers };
  };
  const lockout = (method: 'GET' | 'DELETE', username: string) => fetch(`${system.gateway}/admin/lockouts/${username}`, { method, headers: { authorization: `Bearer ${admin.accessToken}` } });

  it('a locked account, an unknown name and a wrong password get the same answer; the owner’s network is not locked; an admin sees and clears it', async () => {
    const [locked, bystander] = [uniqueUser('lkreal'), uniqueUser('lkwrong')];
    await Promise.all([locked, bystander].map(async (u) => untilApplied(system.gateway, await signUp(system.gateway, u))));
    expect((await login(locked.username, locked.password, ATTACKER)).status).toBe(200);

    for (let i = 0; i < THRESHOLD; i++) expect((await login(locked.username, `guess-${i}-${locked.password}`, ATTACKER)).status).toBe(401);
    const view = await lockout('GET', locked.username);
    expect(view.status).toBe(200);
    expect(await view.json()).toMatchObject({ locked: true, failures: expect.any(Number) });

    const answers = {
      lockedRightPassword: await login(locked.username, locked.password, ATTACKER),
      unknownName: await login(uniqueUser('lknobody').username, locked.password, ATTACKER),
      wrongPassword: await login(bystander.username, `wrong-${bystander.password}`, ATTACKER),
    };
    expect(answers.lockedRightPassword.status).toBe(401);
    expect(Object.keys(answers.lockedRightPassword.headers)).toEqual(expect.arrayContaining(['content-type', 'content-length']));
    expect(answers.unknownName).toEqual(answers.lockedRightPassword);
    expect(answers.wrongPassword).toEqual(answers.lockedRightPassword);

    // The attacker's network is locked for this name; the owner's own network is not.
    expect((await login(locked.username, locked.password, OWNER_NETWORK)).status).toBe(200);

    expect((await lockout('DELETE', locked.username)).status).toBe(204);
    expect(await (await lockout('GET', locked.username)).json()).toMatchObject({ locked: false });
    expect((await login(locked.username, locked.password, ATTACKER)).status).toBe(200);
  });
});
