import type { CachedUser } from '@usersys/user-cache';
import { LRUCache } from 'lru-cache';
import type { SessionClaims } from './tokens';

/** What the check needs to know about an account. */
export type SessionAccount = Pick<CachedUser, 'username' | 'accountId' | 'credentialVersion' | 'role' | 'state'>;

export interface AccountLookup {
  /** The account by username (sealed user cache, else PostgreSQL); throws when neither answers. */
  find(username: string): Promise<SessionAccount | null>;
}

export interface RevocationLookup {
  /** `auth:revoked-before:<accountId>` in ms (null: none); throws when Redis does not answer. */
  revokedBefore(accountId: string): Promise<number | null>;
}

export type SessionRefusal = 'account_gone' | 'account_replaced' | 'not_active' | 'credentials_changed' | 'revoked';

export class SessionRefusedError extends Error {
  constructor(readonly reason: SessionRefusal) {
    super(`session refused: ${reason}`);
  }
}

/**
 * Why a token's session is over, or null while it is valid. `revokedBeforeMs` null = none known
 * (none set, or Redis down: then revocation holds once the consumer applied the change, through
 * the version or the state). An account older than the token (a stale cache) is fine; a newer
 * credential version means the token was revoked.
 */
export function sessionRefusal(claims: SessionClaims, account: SessionAccount | null, revokedBeforeMs: number | null): SessionRefusal | null {
  if (!account) return 'account_gone';
  if (account.accountId !== claims.accountId) return 'account_replaced';
  if (account.state !== 'active') return 'not_active';
  if (account.credentialVersion > claims.credentialVersion) return 'credentials_changed';
  if (revokedBeforeMs !== null && claims.authMs <= revokedBeforeMs) return 'revoked';
  return null;
}

interface Snapshot {
  account: SessionAccount | null;
  revokedBeforeMs: number | null;
}

export interface SessionCheckHooks {
  onRefused?: (reason: SessionRefusal) => void;
  /** Redis stopped answering the revoked-before read: checks go on without it (once per episode). */
  onRevocationUnknown?: (err: Error) => void;
  /** The revoked-before read works again (end of the episode). */
  onRevocationKnown?: () => void;
}

/**
 * The per-request account check (every authenticated request and every refresh): the token's
 * account must still exist under the same account id, be active, be on the token's credential
 * version or an older one, and the session must have begun after the account's revoked-before
 * time. What it reads about an account is kept in-process for `ttlMs` (SESSION_CHECK_CACHE_TTL,
 * default 1 s; concurrent requests share one lookup): that is the bound on how long a token keeps
 * working on this replica after the change that revokes it was accepted (the 202).
 */
export class SessionCheck {
  private readonly recent: LRUCache<string, Snapshot> | null;
  private revocationUnknown = false;

  constructor(
    private readonly accounts: AccountLookup,
    private readonly revocations: RevocationLookup,
    options: { ttlMs: number; max: number },
    private readonly hooks: SessionCheckHooks = {},
  ) {
    // ttl 0 would mean "never expires" to lru-cache: no cache at all instead.
    this.recent =
      options.ttlMs > 0
        ? new LRUCache<string, Snapshot>({ max: options.max, ttl: options.ttlMs, updateAgeOnGet: false, fetchMethod: (username) => this.load(username) })
        : null;
  }

  /** The token's account when its session is valid; SessionRefusedError otherwise. */
  async check(claims: SessionClaims): Promise<SessionAccount> {
    const { account, revokedBeforeMs } = (this.recent ? await this.recent.fetch(claims.username) : undefined) ?? (await this.load(claims.username));
    const refusal = sessionRefusal(claims, account, revokedBeforeMs);
    if (refusal) {
      this.hooks.onRefused?.(refusal);
      throw new SessionRefusedError(refusal);
    }
    return account!;
  }

  private async load(username: string): Promise<Snapshot> {
    const account = await this.accounts.find(username);
    if (!account) return { account: null, revokedBeforeMs: null };
    try {
      const revokedBeforeMs = await this.revocations.revokedBefore(account.accountId);
      if (this.revocationUnknown) this.hooks.onRevocationKnown?.();
      this.revocationUnknown = false;
      return { account, revokedBeforeMs };
    } catch (err) {
      if (!this.revocationUnknown) this.hooks.onRevocationUnknown?.(err as Error);
      this.revocationUnknown = true;
      return { account, revokedBeforeMs: null };
    }
  }
}
