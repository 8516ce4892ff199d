import type { RefreshStore, RotateOutcome } from './ports';
import { InvalidTokenError, TokenService } from './tokens';

/** In-memory fake of the Redis store (the Redis one is covered by the gateway integration test). */
class MemoryRefreshStore implements RefreshStore {
  families = new Map<string, { current: string; username: string; revoked: boolean }>();
  async create(familyId: string, tokenHash: string, username: string) {
    this.families.set(familyId, { current: tokenHash, username, revoked: false });
  }
  async rotate(familyId: string, presented: string, next: string): Promise<RotateOutcome> {
    const f = this.families.get(familyId);
    if (!f) return { status: 'unknown' };
    if (f.revoked) return { status: 'revoked' };
    if (f.current !== presented) {
      f.revoked = true;
      return { status: 'reused' };
    }
    f.current = next;
    return { status: 'rotated', username: f.username };
  }
  async revoke(familyId: string) {
    const f = this.families.get(familyId);
    if (f) f.revoked = true;
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
    await expect(tokens.verifyAccess(pair.refreshToken)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const store = new MemoryRefreshStore();
    const tokens = new TokenService(options, store);
    const first = await tokens.issue({ username: 'bob', role: 'user' });
    const second = await tokens.refresh(first.refreshToken, async () => 'user');
    expect(second.refreshToken).not.toBe(first.refreshToken);
    await expect(tokens.refresh(first.refreshToken, async () => 'user')).rejects.toThrow(/reused/);
    await expect(tokens.refresh(second.refreshToken, async () => 'user')).rejects.toThrow(/revoked/);
  });

  it('revokes the family when the account is no longer active', async () => {
    const tokens = new TokenService(options, new MemoryRefreshStore());
    const first = await tokens.issue({ username: 'carol', role: 'user' });
    await expect(tokens.refresh(first.refreshToken, async () => null)).rejects.toThrow(/not active/);
    await expect(tokens.refresh('garbage', async () => 'user')).rejects.toThrow(/malformed/);
  });
});
