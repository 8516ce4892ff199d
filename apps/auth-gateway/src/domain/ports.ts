import type { CachedUser } from '@usersys/user-cache';

/** What login needs to know about an account (from the Redis user cache or PostgreSQL). */
export type LoginUser = Pick<CachedUser, 'username' | 'accountId' | 'credentialVersion' | 'role' | 'state' | 'passwordHash'>;

export interface UserDirectory {
  find(username: string): Promise<LoginUser | null>;
}

export interface PasswordVerifier {
  compare(password: string, hash: string): Promise<boolean>;
}

export interface RateLimit {
  consume(key: string): Promise<{ allowed: boolean; retryAfterMs: number; degraded: boolean }>;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/**
 * What presenting a refresh token of generation `gen` did to its family: `rotated` (it was the
 * current one: the family moved to gen+1, signed at `issuedAtMs`), `replayed` (it was the one just
 * replaced, within the grace window: the same gen+1 pair, signed at the stored `issuedAtMs`),
 * `reused` (an older one, or the previous one after the window: the family is now revoked),
 * `revoked`, or `unknown` (a generation the store never saw: its state was lost; refuse, never guess).
 */
export type Rotation = { outcome: 'rotated' | 'replayed'; issuedAtMs: number } | { outcome: 'reused' | 'revoked' | 'unknown' };

/**
 * Refresh-token families: each has a current generation (0 until its first refresh, so a login
 * writes nothing); nothing token-like is stored, only the generation and when it was rotated.
 */
export interface RefreshStore {
  rotate(familyId: string, generation: number, at: { nowMs: number; graceMs: number; ttlMs: number }): Promise<Rotation>;
  revoke(familyId: string, ttlMs: number): Promise<void>;
}

export interface LastLoginWriter {
  /** One statement for the whole batch; returns the rows changed. Must give up after `timeoutMs`. */
  writeBatch(entries: Array<{ username: string; at: Date }>, timeoutMs: number): Promise<number>;
}

export type AuditResult = 'success' | 'failure';

export interface AuditAttempt {
  username: string;
  clientIp: string;
  userAgent: string | null;
  result: AuditResult;
  reason: string;
  traceId: string | null;
  traceparent?: string;
}

export interface AuditTrail {
  record(attempt: AuditAttempt): void;
}
