import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { RefreshStore, TokenPair } from './ports';

export type CallerRole = 'user' | 'admin';

export interface AccessClaims {
  username: string;
  role: CallerRole;
}

export class InvalidTokenError extends Error {}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Short-lived HS256 access tokens (jose) and opaque rotating refresh tokens `<family>.<random>`.
 * Redis keeps only a hash of each family's current refresh token; presenting any older token of a
 * family (a stolen copy, or a replay) is a reuse: the family is revoked and both holders must log
 * in again.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    private readonly options: { secret: string; issuer: string; accessTtlMs: number; refreshTtlMs: number },
    private readonly store: RefreshStore,
  ) {
    this.key = new TextEncoder().encode(options.secret);
  }

  /** A new family: what a successful login hands out. */
  async issue(user: AccessClaims): Promise<TokenPair> {
    const familyId = randomUUID();
    const refreshToken = `${familyId}.${randomBytes(32).toString('base64url')}`;
    await this.store.create(familyId, hashToken(refreshToken), user.username, this.options.refreshTtlMs);
    return { accessToken: await this.signAccess(user), refreshToken, tokenType: 'Bearer', expiresIn: Math.floor(this.options.accessTtlMs / 1000) };
  }

  /**
   * Rotates a refresh token: the family's next token replaces it. `roleOf` re-reads the account
   * (null when it is gone or not active any more, which revokes the family).
   */
  async refresh(refreshToken: string, roleOf: (username: string) => Promise<CallerRole | null>): Promise<TokenPair> {
    const familyId = /^([0-9a-f-]{36})\.[A-Za-z0-9_-]{43}$/.exec(refreshToken)?.[1];
    if (!familyId) throw new InvalidTokenError('malformed refresh token');
    const next = `${familyId}.${randomBytes(32).toString('base64url')}`;
    const outcome = await this.store.rotate(familyId, hashToken(refreshToken), hashToken(next), this.options.refreshTtlMs);
    if (outcome.status !== 'rotated') throw new InvalidTokenError(`refresh token ${outcome.status}`);
    const role = await roleOf(outcome.username);
    if (!role) {
      await this.store.revoke(familyId);
      throw new InvalidTokenError('account not active');
    }
    return { accessToken: await this.signAccess({ username: outcome.username, role }), refreshToken: next, tokenType: 'Bearer', expiresIn: Math.floor(this.options.accessTtlMs / 1000) };
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: this.options.issuer, algorithms: ['HS256'], typ: 'at+jwt' });
      if (typeof payload.sub !== 'string' || (payload.role !== 'user' && payload.role !== 'admin')) throw new InvalidTokenError('claims');
      return { username: payload.sub, role: payload.role };
    } catch (err) {
      throw err instanceof InvalidTokenError ? err : new InvalidTokenError((err as Error).message);
    }
  }

  private signAccess(user: AccessClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(user.username)
      .setIssuer(this.options.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + Math.floor(this.options.accessTtlMs / 1000))
      .sign(this.key);
  }
}
