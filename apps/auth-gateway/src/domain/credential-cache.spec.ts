import { CredentialCache } from './credential-cache';

describe('CredentialCache', () => {
  it('keys by username, stored hash and password without containing any of them', () => {
    const cache = new CredentialCache({ ttlMs: 60_000, max: 10 });
    const key = cache.key('alice', '$2b$10$hash', 'correct horse');
    expect(key).not.toContain('alice');
    expect(key).not.toContain('correct');
    expect(cache.key('alice', '$2b$10$other', 'correct horse')).not.toBe(key);
    expect(cache.key('alice', '$2b$10$hash', 'wrong horse')).not.toBe(key);
    expect(cache.key('alic', 'e$2b$10$hash', 'correct horse')).not.toBe(key);
    expect(new CredentialCache({ ttlMs: 60_000, max: 10 }).key('alice', '$2b$10$hash', 'correct horse')).not.toBe(key);
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new CredentialCache({ ttlMs: 60_000, max: 2 });
    cache.remember('a');
    cache.remember('b');
    expect(cache.has('a')).toBe(true);
    cache.remember('c');
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
  });

  it('forgets entries after the TTL', async () => {
    const cache = new CredentialCache({ ttlMs: 20, max: 2 });
    cache.remember('a');
    await new Promise((r) => setTimeout(r, 40));
    expect(cache.has('a')).toBe(false);
  });
});
