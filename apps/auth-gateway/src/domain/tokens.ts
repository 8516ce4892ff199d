import { randomUUID, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT, type CryptoKey as JoseKey } from 'jose';
import type { RefreshStore, TokenPair } from './ports';

export type CallerRole = 'user' | 'admin';

export interface AccessClaims {
  username: string;
  role: CallerRole;
}

export class InvalidTokenError extends Error {}

const ACCESS_TYP = 'at+jwt';
const REFRESH_TYP = 'rt+jwt';

/**
 * Short-lived HS256 access tokens and rotating refresh tokens, both signed with jose. A refresh
 * token names its family and generation; Redis keeps only each family's current generation
 * (absent = 0, so login itself writes nothing there). Refreshing with the current generation
 * rotates to the next; presenting an older one (a stolen copy or a replay) is a reuse: the family is
 * revoked and every holder has to log in again.
 */
export class TokenService {
  private key: Promise<JoseKey>;

  constructor(
    private readonly options: { secret: string; issuer: string; accessTtlMs: number; refreshTtlMs: number },
    private readonly store: RefreshStore,
  ) {
    // Imported once: handing jose the raw bytes would re-import the key on every signature.
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) as Promise<JoseKey>;
  }

  /** A new family: what a successful login hands out. */
  async issue(user: AccessClaims): Promise<TokenPair> {
    return this.pair(user, randomUUID(), 0);
  }

  /**
   * Rotates a refresh token. `roleOf` re-reads the account (null when it is gone or not active any
   * more, which revokes the family).
   */
  async refresh(refreshToken: string, roleOf: (username: string) => Promise<CallerRole | null>): Promise<TokenPair> {
    const { username, familyId, generation } = await this.verifyRefresh(refreshToken);
    const outcome = await this.store.rotate(familyId, generation, this.options.refreshTtlMs);
    if (outcome !== 'rotated') throw new InvalidTokenError(`refresh token ${outcome}`);
    const role = await roleOf(username);
    if (!role) {
      await this.store.revoke(familyId, this.options.refreshTtlMs);
      throw new InvalidTokenError('account not active');
    }
    return this.pair({ username, role }, familyId, generation + 1);
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token, ACCESS_TYP);
    if (typeof payload.sub !== 'string' || (payload.role !== 'user' && payload.role !== 'admin')) throw new InvalidTokenError('claims');
    return { username: payload.sub, role: payload.role };
  }

  private async verifyRefresh(token: string): Promise<{ username: string; familyId: string; generation: number }> {
    const payload = await this.verify(token, REFRESH_TYP);
    const { sub, fam, gen } = payload;
    if (typeof sub !== 'string' || typeof fam !== 'string' || !Number.isInteger(gen) || (gen as number) < 0) throw new InvalidTokenError('claims');
    return { username: sub, familyId: fam, generation: gen as number };
  }

  private async verify(token: string, typ: string) {
    try {
      const { payload } = await jwtVerify(token, await this.key, { issuer: this.options.issuer, algorithms: ['HS256'], typ });
      return payload;
    } catch (err) {
      throw new InvalidTokenError((err as Error).message);
    }
  }

  private async pair(user: AccessClaims, familyId: string, generation: number): Promise<TokenPair> {
    const key = await this.key;
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, typ: string, ttlMs: number) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ })
        .setSubject(user.username)
        .setIssuer(this.options.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + Math.floor(ttlMs / 1000))
        .sign(key);
    const [accessToken, refreshToken] = await Promise.all([
      sign({ role: user.role }, ACCESS_TYP, this.options.accessTtlMs),
      sign({ fam: familyId, gen: generation }, REFRESH_TYP, this.options.refreshTtlMs),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: Math.floor(this.options.accessTtlMs / 1000) };
  }
}
