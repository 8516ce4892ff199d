import { json, loginAs, signUp, startSystem, uniqueUser, untilApplied, type System, type TokenPair } from './harness';

// Sessions against the running system: a password change and a force delete revoke the account's
// tokens (within the documented bound, counted from the 202), logout revokes its family, a replayed
// refresh token revokes its family, and two tabs refreshing at once share one new pair.

/** SESSION_CHECK_CACHE_TTL: the documented bound after the 202 within which old access tokens may still pass. */
const SESSION_BOUND_MS = 1000;
/** REFRESH_GRACE: a just-rotated refresh token presented again within it gets the same new pair. */
const REFRESH_GRACE_MS = 2000;
const ADMIN = { ADMIN_USERNAME: 'e2e_sessions_admin', ADMIN_PASSWORD: 'e2e-sessions-admin-pw', ADMIN_EMAIL: 'e2e_sessions_admin@usersys.local', ADMIN_PHONE: '+19990000132' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sessions: revocation, logout, rotation', () => {
  let system: System;
  let admin: TokenPair;

  beforeAll(async () => {
    system = await startSystem({ ...ADMIN, SESSION_CHECK_CACHE_TTL: `${SESSION_BOUND_MS}ms`, REFRESH_GRACE: `${REFRESH_GRACE_MS}ms`, LOGIN_RATE_LIMIT: '100000' });
    admin = await loginAs(system.gateway, ADMIN.ADMIN_USERNAME, ADMIN.ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await system?.stop();
  });

  const refresh = async (refreshToken: string) => {
    const res = await fetch(`${system.gateway}/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken }) });
    return { status: res.status, pair: res.status === 200 ? ((await res.json()) as TokenPair) : undefined };
  };
  const readSelf = async (username: string, accessToken: string) => (await fetch(`${system.gateway}/v1/users/${username}`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const login = async (username: string, password: string) => (await fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) })).status;
  const activeUser = async (prefix: string) => {
    const user = uniqueUser(prefix);
    await untilApplied(system.gateway, await signUp(system.gateway, user));
    return user;
  };

  it('a password change refuses the old access and refresh tokens within the bound after its 202; then the new password logs in', async () => {
    const user = await activeUser('sspw');
    const old = await loginAs(system.gateway, user.username, user.password);
    // Used just before: the gateway's per-account check has this account cached as valid.
    expect(await readSelf(user.username, old.accessToken)).toBe(200);
    const newPassword = `new-${user.password}`;
    const patch = await fetch(`${system.gateway}/v1/users/${user.username}`, {
      method: 'PATCH',
      headers: { ...json, authorization: `Bearer ${old.accessToken}` },
      body: JSON.stringify({ password: newPassword, currentPassword: user.password }),
    });
    expect(patch.status).toBe(202);
    await sleep(SESSION_BOUND_MS + 1000);
    expect(await readSelf(user.username, old.accessToken)).toBe(401);
    expect((await refresh(old.refreshToken)).status).toBe(401);

    await untilApplied(system.gateway, ((await patch.json()) as { requestId: string }).requestId);
    expect(await login(user.username, user.password)).toBe(401);
    const fresh = await loginAs(system.gateway, user.username, newPassword);
    expect(await readSelf(user.username, fresh.accessToken)).toBe(200);
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
  });

  it('force delete and re-registration of the name: the old owner’s tokens are refused, the new owner’s work', async () => {
    const first = await activeUser('ssre');
    const old = await loginAs(system.gateway, first.username, first.password);
    expect(await readSelf(first.username, old.accessToken)).toBe(200);
    const force = await fetch(`${system.gateway}/v1/users/${first.username}/force`, { method: 'DELETE', headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(force.status).toBe(202);
    const acceptedAt = Date.now();
    await untilApplied(system.gateway, ((await force.json()) as { requestId: string }).requestId);

    // Someone else takes the name: same username, new account (new password, email, phone).
    const second = { ...uniqueUser('ssre'), username: first.username };
    await untilApplied(system.gateway, await signUp(system.gateway, second));
    const current = await loginAs(system.gateway, second.username, second.password);
    await sleep(Math.max(0, acceptedAt + SESSION_BOUND_MS + 1000 - Date.now()));

    expect(await readSelf(first.username, old.accessToken)).toBe(401);
    expect((await refresh(old.refreshToken)).status).toBe(401);
    expect(await readSelf(second.username, current.accessToken)).toBe(200);
    expect((await refresh(current.refreshToken)).status).toBe(200);
  });

  it('logout revokes the presented family (idempotently), and only that one', async () => {
    const user = await activeUser('sslo');
    const [tab, otherDevice] = await Promise.all([loginAs(system.gateway, user.username, user.password), loginAs(system.gateway, user.username, user.password)]);
    const logout = () => fetch(`${system.gateway}/v1/auth/logout`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: tab.refreshToken }) });
    expect((await logout()).status).toBe(204);
    expect((await refresh(tab.refreshToken)).status).toBe(401);
    expect((await logout()).status).toBe(204);
    expect((await refresh(otherDevice.refreshToken)).status).toBe(200);
  });

  it('replaying a rotated refresh token after the grace window revokes the family: the newer token is refused too', async () => {
    const user = await activeUser('ssrp');
    const first = await loginAs(system.gateway, user.username, user.password);
    const rotated = await refresh(first.refreshToken);
    expect(rotated.status).toBe(200);
    await sleep(REFRESH_GRACE_MS + 1000);
    expect((await refresh(first.refreshToken)).status).toBe(401);
    expect((await refresh(rotated.pair!.refreshToken)).status).toBe(401);
  });

  it('replaying a refresh token two generations old revokes the family at once', async () => {
    const user = await activeUser('ssr2');
    const gen0 = await loginAs(system.gateway, user.username, user.password);
    const gen1 = (await refresh(gen0.refreshToken)).pair!;
    const gen2 = (await refresh(gen1.refreshToken)).pair!;
    expect(gen2).toBeDefined();
    expect((await refresh(gen0.refreshToken)).status).toBe(401);
    expect((await refresh(gen2.refreshToken)).status).toBe(401);
  });

  it('two tabs refreshing with one token at once both get the same new pair, and both can use it', async () => {
    const user = await activeUser('sstab');
    const shared = await loginAs(system.gateway, user.username, user.password);
    const [a, b] = await Promise.all([refresh(shared.refreshToken), refresh(shared.refreshToken)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.pair).toEqual(a.pair);
    expect(await readSelf(user.username, a.pair!.accessToken)).toBe(200);
    expect(await readSelf(user.username, b.pair!.accessToken)).toBe(200);
    // The family lives on: the next rotation works for whichever tab does it.
    expect((await refresh(b.pair!.refreshToken)).status).toBe(200);
  });
});
