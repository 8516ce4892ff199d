import type { CachedUser } from '@usersys/user-cache';

/** What login needs to know about an account (from the Redis user cache or PostgreSQL). */
export type LoginUser = Pick<CachedUser, 'username' | 'role' | 'state' | 'passwordHash'>;

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

export type RotateOutcome = 'rotated' | 'unknown' | 'revoked' | 'reused';

/**
 * Refresh-token families: each family has a current generation (0 until its first refresh, so a
 * login writes nothing); presenting an older generation is a reuse and revokes the family.
 */
export interface RefreshStore {
  rotate(familyId: string, generation: number, ttlMs: number): Promise<RotateOutcome>;
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
