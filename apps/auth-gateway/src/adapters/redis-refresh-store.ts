import type { Redis } from 'ioredis';
import type { RefreshStore, RotateOutcome } from '../domain/ports';

/** `auth:refresh:<familyId>` — hash {username, current (sha256 of the current token), revoked}. */
export const refreshFamilyKey = (familyId: string) => `auth:refresh:${familyId}`;

// Atomic compare-and-rotate: of two concurrent refreshes with the same token one rotates and the
// other is a reuse (revoking the family), as it should be.
const ROTATE = `
local current = redis.call('HGET', KEYS[1], 'current')
if not current then return {'unknown'} end
if redis.call('HGET', KEYS[1], 'revoked') == '1' then return {'revoked'} end
if current ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'revoked', '1')
  return {'reused'}
end
redis.call('HSET', KEYS[1], 'current', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'rotated', redis.call('HGET', KEYS[1], 'username')}`;

export class RedisRefreshStore implements RefreshStore {
  constructor(private readonly redis: Redis) {}

  async create(familyId: string, tokenHash: string, username: string, ttlMs: number): Promise<void> {
    const results = await this.redis.multi().hset(refreshFamilyKey(familyId), { username, current: tokenHash, revoked: '0' }).pexpire(refreshFamilyKey(familyId), ttlMs).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('refresh family not stored');
  }

  async rotate(familyId: string, presentedHash: string, nextHash: string, ttlMs: number): Promise<RotateOutcome> {
    const [status, username] = (await this.redis.eval(ROTATE, 1, refreshFamilyKey(familyId), presentedHash, nextHash, String(ttlMs))) as [string, string?];
    if (status === 'rotated' && username) return { status, username };
    return { status: status as 'unknown' | 'revoked' | 'reused' };
  }

  async revoke(familyId: string): Promise<void> {
    // Only an existing family (which has a TTL): never create a key that would live forever.
    await this.redis.eval(`if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end return 0`, 1, refreshFamilyKey(familyId));
  }
}
