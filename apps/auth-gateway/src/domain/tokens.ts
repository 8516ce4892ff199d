import { randomUUID, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT, type CryptoKey as JoseKey, type JWTPayload } from 'jose';
import type { RefreshStore, TokenPair } from './ports';

export type CallerRole = 'user' | 'admin';

/** The account a token is issued to (what login and refresh know about it). */
export interface TokenAccount {
  username: string;
  /** Stable account id: a name re-registered after a force delete is another account. */
  accountId: string;
  /** The account's credential version when the session began; a newer one revokes the token. */
  credentialVersion: number;
  /** A hint only: authorisation uses the account's current role (SessionCheck). */
  role: CallerRole;
}

/** What the per-request account check needs from a token (access or refresh). */
export interface SessionClaims {
  username: string;
  accountId: string;
  credentialVersion: number;
  /** When the session (refresh family) began, ms: the login time, carried through every rotation. */
  authMs: number;
}

export interface AccessClaims extends SessionClaims {
  role: CallerRole;
  /** When this token was signed, ms. */
  issuedAtMs: number;
}

export interface RefreshClaims extends SessionClaims {
  familyId: string;
  generation: number;
  issuedAtMs: number;
}

export class InvalidTokenError extends Error {}

const ACCESS_TYP = 'at+jwt';
const REFRESH_TYP = 'rt+jwt';

/**
 * HS256 access and refresh tokens (jose). Both carry `sub` (username), `aid` (account id), `ver`
 * (credential version), `iat_ms` (signed at, ms) and `auth_ms` (session began, ms); the access
 * token adds `role` (a hint), the refresh token `fam` (family id) and `gen` (generation).
 *
 * Why `auth_ms` next to `iat_ms`: revocation at the 202 (`auth:revoked-before:<aid>`) must end
 * every session that began before it. Comparing the marker with the login time of the family,
 * not with the rotation time, means a refresh racing with the revocation (or answered from the
 * session check's one-second cache) cannot mint a pair that outlives it.
 *
 * Refresh: verify the JWT -> account check -> rotate in Redis -> sign (rotation only after the
 * check, so a transient database error followed by the client's retry is not a reuse).
 *
 * Reuse and the grace window (RFC 9700 section 4.14, refresh token rotation): the family's
 * current generation lives in Redis; presenting an older generation is a reuse and revokes the
 * family, except the generation just replaced, within `graceMs` of its rotation: that is two
 * tabs (or a retry after a lost answer) refreshing with the same token, and they get the SAME
 * new pair. The pair is not stored: it is signed again from the stored rotation time, and HS256
 * over the same claims gives the same bytes, so no token is ever kept in Redis. The trade-off:
 * for `graceMs` a stolen refresh token that the legitimate client just used gets the same pair as
 * the client instead of revoking the family; after the window it revokes it as before. The window
 * is short (default 5 s) and the account check still runs on every replay.
 */
export class TokenService {
  private key: Promise<JoseKey>;

  constructor(
    private readonly options: { secret: string; issuer: string; accessTtlMs: number; refreshTtlMs: number; refreshGraceMs: number },
    private readonly store: RefreshStore,
  ) {
    // Imported once: handing jose the raw bytes would re-import the key on every signature.
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(options.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) as Promise<JoseKey>;
  }

  /** A new family: what a successful login hands out (no Redis write: generation 0 is implicit). */
  async issue(account: TokenAccount, nowMs = Date.now()): Promise<TokenPair> {
    return this.pair(account, nowMs, randomUUID(), 0, nowMs);
  }

  /**
   * Rotates a refresh token. `checkAccount` is the per-request account check: it throws when the
   * session is revoked (nothing is rotated then) and returns the account's current role.
   */
  async refresh(refreshToken: string, checkAccount: (claims: SessionClaims) => Promise<{ role: CallerRole }>, nowMs = Date.now()): Promise<TokenPair> {
    const claims = await this.verifyRefresh(refreshToken);
    const { role } = await checkAccount(claims);
    const rotation = await this.store.rotate(claims.familyId, claims.generation, { nowMs, graceMs: this.options.refreshGraceMs, ttlMs: this.options.refreshTtlMs });
    if (rotation.outcome !== 'rotated' && rotation.outcome !== 'replayed') throw new InvalidTokenError(`refresh token ${rotation.outcome}`);
    return this.pair({ ...claims, role }, claims.authMs, claims.familyId, claims.generation + 1, rotation.issuedAtMs);
  }

  /** Logout: revokes the token's family (again if it already is). */
  async revokeFamily(refreshToken: string): Promise<void> {
    const { familyId } = await this.verifyRefresh(refreshToken);
    await this.store.revoke(familyId, this.options.refreshTtlMs);
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token, ACCESS_TYP);
    if (payload.role !== 'user' && payload.role !== 'admin') throw new InvalidTokenError('claims');
    return { ...sessionClaimsOf(payload), role: payload.role };
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const payload = await this.verify(token, REFRESH_TYP);
    const { fam, gen } = payload;
    if (typeof fam !== 'string' || !Number.isSafeInteger(gen) || (gen as number) < 0) throw new InvalidTokenError('claims');
    return { ...sessionClaimsOf(payload), familyId: fam, generation: gen as number };
  }

  private async verify(token: string, typ: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, await this.key, { issuer: this.options.issuer, algorithms: ['HS256'], typ });
      return payload;
    } catch (err) {
      throw new InvalidTokenError((err as Error).message);
    }
  }

  /** Deterministic: the same arguments give the same two tokens (the grace window relies on it). */
  private async pair(account: TokenAccount, authMs: number, familyId: string, generation: number, issuedAtMs: number): Promise<TokenPair> {
    const key = await this.key;
    const iat = Math.floor(issuedAtMs / 1000);
    const session = { aid: account.accountId, ver: account.credentialVersion, auth_ms: authMs, iat_ms: issuedAtMs };
    const sign = (claims: Record<string, unknown>, typ: string, ttlMs: number) =>
      new SignJWT({ ...session, ...claims })
        .setProtectedHeader({ alg: 'HS256', typ })
        .setSubject(account.username)
        .setIssuer(this.options.issuer)
        .setIssuedAt(iat)
        .setExpirationTime(iat + Math.floor(ttlMs / 1000))
        .sign(key);
    const [accessToken, refreshToken] = await Promise.all([
      sign({ role: account.role }, ACCESS_TYP, this.options.accessTtlMs),
      sign({ fam: familyId, gen: generation }, REFRESH_TYP, this.options.refreshTtlMs),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: Math.floor(this.options.accessTtlMs / 1000) };
  }
}

const isMs = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

function sessionClaimsOf(payload: JWTPayload): SessionClaims & { issuedAtMs: number } {
  const { sub, aid, ver, auth_ms, iat_ms } = payload;
  if (typeof sub !== 'string' || typeof aid !== 'string' || !Number.isSafeInteger(ver) || (ver as number) < 0 || !isMs(auth_ms) || !isMs(iat_ms)) throw new InvalidTokenError('claims');
  return { username: sub, accountId: aid, credentialVersion: ver as number, authMs: auth_ms, issuedAtMs: iat_ms };
}
