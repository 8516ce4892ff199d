import { claimsOf, withAlgNone, withChangedPayload } from '@usersys/auth-gateway-testing/forged-tokens';
import type { RefreshStore, Rotation } from './ports';
import { InvalidTokenError, TokenService, type CallerRole, type SessionClaims, type TokenAccount } from './tokens';

/** In-memory fake with the Redis script's rule (the script itself runs in sessions.int.spec.ts). */
class MemoryRefreshStore implements RefreshStore {
  families = new Map<string, { gen: number; iatMs: number; rotatedAt: number } | 'revoked'>();
  async rotate(familyId: string, generation: number, at: { nowMs: number; graceMs: number }): Promise<Rotation> {
    const state = this.families.get(familyId) ?? { gen: 0, iatMs: 0, rotatedAt: 0 };
    if (state === 'revoked') return { outcome: 'revoked' };
    if (generation === state.gen) {
      this.families.set(familyId, { gen: state.gen + 1, iatMs: at.nowMs, rotatedAt: at.nowMs });
      return { outcome: 'rotated', issuedAtMs: at.nowMs };
    }
    if (generation === state.gen - 1 && at.nowMs - state.rotatedAt <= at.graceMs) return { outcome: 'replayed', issuedAtMs: state.iatMs };
    if (generation < state.gen) {
      this.families.set(familyId, 'revoked');
      return { outcome: 'reused' };
    }
    return { outcome: 'unknown' };
  }
  async revoke(familyId: string) {
    this.families.set(familyId, 'revoked');
  }
}

const options = { secret: 'x'.repeat(32), issuer: 'test', accessTtlMs: 60_000, refreshTtlMs: 600_000, refreshGraceMs: 5_000 };
const alice: TokenAccount = { username: 'alice', accountId: '5b0c8f3e-6a8e-4f5b-9a55-2f1f3c2d1e0a', credentialVersion: 3, role: 'user' };
const active = async (): Promise<{ role: CallerRole }> => ({ role: 'user' });

describe('TokenService', () => {
  it('issues tokens carrying the username, account id, credential version and times in ms', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const pair = await tokens.issue({ ...alice, role: 'admin' }, 1_700_000_000_123);
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 60 });
    expect(claimsOf(pair.accessToken)).toMatchObject({ sub: 'alice', aid: alice.accountId, ver: 3, iat_ms: 1_700_000_000_123, auth_ms: 1_700_000_000_123, role: 'admin' });
    expect(claimsOf(pair.refreshToken)).toMatchObject({ sub: 'alice', aid: alice.accountId, ver: 3, gen: 0, fam: expect.any(String) });
    // issued in the past (fixed time): verification needs a fresh token
    const fresh = await tokens.issue({ ...alice, role: 'admin' });
    expect(await tokens.verifyAccess(fresh.accessToken)).toEqual({ username: 'alice', accountId: alice.accountId, credentialVersion: 3, authMs: expect.any(Number), issuedAtMs: expect.any(Number), role: 'admin' });
  });

  it('refuses forgeries: another key, alg none, a changed payload, the wrong token type, an expired token', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const own = await tokens.issue(alice);
    const other = await new TokenService({ ...options, secret: 'y'.repeat(32) }, new MemoryRefreshStore()).issue(alice);
    const expired = await tokens.issue(alice, Date.now() - 2 * options.refreshTtlMs);
    const forged = [
      other.accessToken,
      withAlgNone(own.accessToken),
      withChangedPayload(own.accessToken, { role: 'admin' }),
      withChangedPayload(own.accessToken, { sub: 'bob' }),
      own.refreshToken,
      expired.accessToken,
      'garbage',
    ];
    for (const token of forged) await expect(tokens.verifyAccess(token)).rejects.toBeInstanceOf(InvalidTokenError);
    for (const token of [own.accessToken, withAlgNone(own.refreshToken), withChangedPayload(own.refreshToken, { gen: 5 }), expired.refreshToken]) {
      await expect(tokens.refresh(token, active)).rejects.toBeInstanceOf(InvalidTokenError);
    }
    await expect(tokens.revokeFamily(own.accessToken)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('rotates: the new pair keeps the account id, version and session start; an older generation revokes the family', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const first = await tokens.issue(alice, Date.now() - 10_000);
    const second = await tokens.refresh(first.refreshToken, active);
    expect(claimsOf(second.refreshToken)).toMatchObject({ aid: alice.accountId, ver: 3, gen: 1, fam: claimsOf(first.refreshToken).fam, auth_ms: claimsOf(first.refreshToken).auth_ms });
    expect(claimsOf(second.accessToken).iat_ms).toBeGreaterThan(claimsOf(first.accessToken).iat_ms as number);
    const third = await tokens.refresh(second.refreshToken, active, Date.now() + 6_000);
    await expect(tokens.refresh(first.refreshToken, active)).rejects.toThrow(/reused/);
    await expect(tokens.refresh(third.refreshToken, active)).rejects.toThrow(/revoked/);
  });

  it('answers the same token twice within the grace window with the same pair; after it, revokes the family', async () => {
    const store = new MemoryRefreshStore();
    const tokens = new TokenService(options, store);
    const t0 = Date.now();
    const first = await tokens.issue(alice, t0);
    const a = await tokens.refresh(first.refreshToken, active, t0 + 1_000);
    const b = await tokens.refresh(first.refreshToken, active, t0 + 1_000 + options.refreshGraceMs);
    expect(b).toEqual(a);
    expect(b.refreshToken).not.toBe(first.refreshToken);
    await expect(tokens.refresh(first.refreshToken, active, t0 + 1_001 + options.refreshGraceMs)).rejects.toThrow(/reused/);
    await expect(tokens.refresh(a.refreshToken, active, t0 + 1_002 + options.refreshGraceMs)).rejects.toThrow(/revoked/);
  });

  it('refuses a generation the store never saw (lost family state) without guessing', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const first = await tokens.issue(alice);
    const second = await tokens.refresh(first.refreshToken, active);
    const other = new TokenService(options, new MemoryRefreshStore()); // same key, empty store
    await expect(other.refresh(second.refreshToken, active)).rejects.toThrow(/unknown/);
  });

  it('checks the account before rotating: a refused or failed check leaves the family as it was', async () => {
    const store = new MemoryRefreshStore();
    const tokens = new TokenService(options, store);
    const first = await tokens.issue(alice);
    const seen: SessionClaims[] = [];
    await expect(
      tokens.refresh(first.refreshToken, async (claims) => {
        seen.push(claims);
        throw new Error('database unavailable');
      }),
    ).rejects.toThrow('database unavailable');
    expect(seen[0]).toMatchObject({ username: 'alice', accountId: alice.accountId, credentialVersion: 3 });
    expect(store.families.size).toBe(0);
    // the client's retry with the same token is not a reuse
    expect(claimsOf((await tokens.refresh(first.refreshToken, active)).refreshToken).gen).toBe(1);
  });

  it('logout revokes the family, and again when it already is', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const first = await tokens.issue(alice);
    await tokens.revokeFamily(first.refreshToken);
    await tokens.revokeFamily(first.refreshToken);
    await expect(tokens.refresh(first.refreshToken, active)).rejects.toThrow(/revoked/);
  });
});
