import type { RefreshStore, RotateOutcome } from './ports';
import { InvalidTokenError, TokenService } from './tokens';

/** In-memory fake of the Redis store (the Redis one is covered by the gateway integration test). */
class MemoryRefreshStore implements RefreshStore {
  families = new Map<string, number | 'revoked'>();
  async rotate(familyId: string, generation: number): Promise<RotateOutcome> {
    const current = this.families.get(familyId) ?? 0;
    if (current === 'revoked') return 'revoked';
    if (generation === current) {
      this.families.set(familyId, current + 1);
      return 'rotated';
    }
    if (generation < current) {
      this.families.set(familyId, 'revoked');
      return 'reused';
    }
    return 'unknown';
  }
  async revoke(familyId: string) {
    this.families.set(familyId, 'revoked');
  }
}

const options = { secret: 'x'.repeat(32), issuer: 'test', accessTtlMs: 60_000, refreshTtlMs: 600_000 };

describe('TokenService', () => {
  it('issues a verifiable access token carrying the username and role', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const pair = await tokens.issue({ username: 'alice', role: 'admin' });
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 60 });
    expect(await tokens.verifyAccess(pair.accessToken)).toEqual({ username: 'alice', role: 'admin' });
  });

  it('refuses a token signed with another secret, and a refresh token as access token', async () => {
    const other = new TokenService({ ...options, secret: 'y'.repeat(32) }, new MemoryRefreshStore());
    const pair = await other.issue({ username: 'alice', role: 'admin' });
    const tokens = new TokenService(options, new MemoryRefreshStore());
    await expect(tokens.verifyAccess(pair.accessToken)).rejects.toBeInstanceOf(InvalidTokenError);
    const own = await tokens.issue({ username: 'alice', role: 'admin' });
    await expect(tokens.verifyAccess(own.refreshToken)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(tokens.refresh(own.accessToken, async () => 'user')).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const first = await tokens.issue({ username: 'bob', role: 'user' });
    const second = await tokens.refresh(first.refreshToken, async () => 'user');
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await expect(tokens.refresh(first.refreshToken, async () => 'user')).rejects.toThrow(/reused/);
    await expect(tokens.refresh(second.refreshToken, async () => 'user')).rejects.toThrow(/revoked/);
  });

  it('revokes the family when the account is no longer active, and refuses garbage', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const first = await tokens.issue({ username: 'carol', role: 'user' });
    await expect(tokens.refresh(first.refreshToken, async () => null)).rejects.toThrow(/not active/);
    await expect(tokens.refresh('garbage', async () => 'user')).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
