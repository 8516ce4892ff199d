import { SessionCheck, SessionRefusedError, sessionRefusal, type SessionAccount } from './session-check';
import type { SessionClaims } from './tokens';

const account: SessionAccount = { username: 'alice', accountId: 'acc-1', credentialVersion: 2, role: 'user', state: 'active' };
const claims: SessionClaims = { username: 'alice', accountId: 'acc-1', credentialVersion: 2, authMs: 1_000 };

describe('sessionRefusal', () => {
  it.each([
    ['valid', account, null, null],
    ['a stale account (older version than the token)', { ...account, credentialVersion: 1 }, null, null],
    ['revoked before the session began', account, 999, null],
    ['the account is gone', null, null, 'account_gone'],
    ['the name belongs to another account now', { ...account, accountId: 'acc-2' }, null, 'account_replaced'],
    ['disabled', { ...account, state: 'disabled' as const }, null, 'not_active'],
    ['deleted', { ...account, state: 'deleted' as const }, null, 'not_active'],
    ['credentials changed', { ...account, credentialVersion: 3 }, null, 'credentials_changed'],
    ['revoked at the session start', account, 1_000, 'revoked'],
    ['revoked after the session began', account, 5_000, 'revoked'],
  ])('%s', (_case, acc, revokedBefore, expected) => {
    expect(sessionRefusal(claims, acc, revokedBefore)).toBe(expected);
  });
});

describe('SessionCheck', () => {
  const setup = (ttlMs: number) => {
    const state = { account: account as SessionAccount | null, revokedBefore: null as number | null, redisDown: false, dbDown: false, finds: 0 };
    const refused: string[] = [];
    const episodes: string[] = [];
    const check = new SessionCheck(
      {
        find: async () => {
          state.finds++;
          if (state.dbDown) throw new Error('no store answers');
          return state.account;
        },
      },
      {
        revokedBefore: async () => {
          if (state.redisDown) throw new Error('redis down');
          return state.revokedBefore;
        },
      },
      { ttlMs, max: 100 },
      { onRefused: (r) => refused.push(r), onRevocationUnknown: () => episodes.push('unknown'), onRevocationKnown: () => episodes.push('known') },
    );
    return { state, refused, episodes, check };
  };

  it('returns the current account (its role, not the token hint) and refuses with the reason', async () => {
    const { state, refused, check } = setup(0);
    state.account = { ...account, role: 'admin' };
    expect(await check.check(claims)).toMatchObject({ role: 'admin' });
    state.account = { ...account, state: 'disabled' };
    await expect(check.check(claims)).rejects.toEqual(new SessionRefusedError('not_active'));
    expect(refused).toEqual(['not_active']);
  });

  it('reuses what it read for ttlMs, one lookup for concurrent requests', async () => {
    const { state, check } = setup(60_000);
    await Promise.all([check.check(claims), check.check(claims), check.check(claims)]);
    expect(state.finds).toBe(1);
    state.revokedBefore = 5_000; // within the bound the old answer still counts
    await expect(check.check(claims)).resolves.toMatchObject({ username: 'alice' });
  });

  it('without a cache (ttl 0) sees a revocation at once', async () => {
    const { state, check } = setup(0);
    await check.check(claims);
    state.revokedBefore = 5_000;
    await expect(check.check(claims)).rejects.toMatchObject({ reason: 'revoked' });
  });

  it('goes on without the revoked-before marker while Redis is down (once per episode), and fails when no account store answers', async () => {
    const { state, episodes, check } = setup(0);
    state.revokedBefore = 5_000;
    state.redisDown = true;
    await expect(check.check(claims)).resolves.toMatchObject({ username: 'alice' });
    await check.check(claims);
    state.account = { ...account, credentialVersion: 3 }; // the consumer applied the change: refused again
    await expect(check.check(claims)).rejects.toMatchObject({ reason: 'credentials_changed' });
    state.redisDown = false;
    state.account = account;
    await expect(check.check(claims)).rejects.toMatchObject({ reason: 'revoked' });
    expect(episodes).toEqual(['unknown', 'known']);
    state.dbDown = true;
    await expect(check.check(claims)).rejects.toThrow('no store answers');
  });
});
