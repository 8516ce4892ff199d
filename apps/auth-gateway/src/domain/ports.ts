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

export type RotateOutcome = { status: 'rotated'; username: string } | { status: 'unknown' | 'revoked' | 'reused' };

/** Refresh-token families: one current token per family; presenting an older one revokes the family. */
export interface RefreshStore {
  create(familyId: string, tokenHash: string, username: string, ttlMs: number): Promise<void>;
  rotate(familyId: string, presentedHash: string, nextHash: string, ttlMs: number): Promise<RotateOutcome>;
  revoke(familyId: string): Promise<void>;
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
