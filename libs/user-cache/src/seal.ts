import { sameSecret } from '@usersys/service-kit';
import { createHmac } from 'node:crypto';
import type { CachedUser } from './user-cache';

/**
 * Seals `user:cache:*` entries with HMAC-SHA256 under a server key (CACHE_HMAC_KEY), so Redis is
 * not a source of authority: login and the session check take role, state, credential version and
 * password hash from the entry, and an entry anyone with Redis access wrote or changed must not
 * count. Format: the CachedUser's JSON with one more last field, `mac` (hex HMAC of the JSON of the
 * other fields, in the order they were written). Still a flat JSON object, so the consumer's
 * settle script can compare `updatedAt` without the key.
 */
export class UserCacheSeal {
  private readonly key: Buffer;

  constructor(key: string) {
    if (Buffer.byteLength(key) < 16) throw new Error('user cache HMAC key must be at least 16 bytes');
    this.key = Buffer.from(key);
  }

  seal(user: CachedUser): string {
    const body = JSON.stringify(user);
    return `${body.slice(0, -1)},"mac":"${this.mac(body)}"}`;
  }

  /** The entry's user when its seal verifies; null when absent, malformed, unsealed or tampered with. */
  open(raw: string | null): CachedUser | null {
    if (raw === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return null;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const { mac, ...user } = parsed as Record<string, unknown>;
    if (typeof mac !== 'string') return null;
    const expected = Buffer.from(this.mac(JSON.stringify(user)), 'hex');
    const given = Buffer.from(mac, 'hex');
    if (!sameSecret(given, expected)) return null;
    return user as unknown as CachedUser;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('hex');
  }
}
