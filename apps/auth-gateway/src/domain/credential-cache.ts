import { createHmac, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Remembers successful password comparisons so a repeated login skips bcrypt. The key is
 * HMAC(secret, username, stored hash, password): no plaintext password is ever held, a changed
 * hash (password change) yields a different key, and only successes are stored. The secret is
 * random per process: the cache is local, so it never needs to be shared or configured.
 */
export class CredentialCache {
  private readonly entries: LRUCache<string, true>;

  constructor(
    options: { ttlMs: number; max: number },
    private readonly secret: Buffer = randomBytes(32),
  ) {
    this.entries = new LRUCache<string, true>({ max: options.max, ttl: options.ttlMs, updateAgeOnGet: false });
  }

  key(username: string, storedHash: string, password: string): string {
    // Length-prefixed parts: no two different triples can produce the same HMAC input.
    const h = createHmac('sha256', this.secret);
    for (const part of [username, storedHash, password]) h.update(`${Buffer.byteLength(part)}:`).update(part);
    return h.digest('base64url');
  }

  has(key: string): boolean {
    return this.entries.get(key) === true;
  }

  remember(key: string): void {
    this.entries.set(key, true);
  }

  get size(): number {
    return this.entries.size;
  }
}
