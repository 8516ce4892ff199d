import type { PendingMarkerStore } from '@usersys/pending-marker';
import type { Redis } from 'ioredis';
import type { RequestBookkeeping } from '../domain/ports';

/** Same keys user-command reads: the marker, `user:rejected:<name>`, `user:cache:<name>`. */
export class RedisBookkeeping implements RequestBookkeeping {
  constructor(
    private readonly redis: Redis,
    private readonly markers: PendingMarkerStore,
    private readonly rejectionTtlMs: number,
  ) {}

  async markerEventId(username: string): Promise<string | null> {
    const marker = await this.markers.read(username);
    return marker?.value?.eventId ?? null;
  }

  async clearMarker(username: string, eventId: string): Promise<void> {
    await this.markers.clear(username, eventId);
  }

  async invalidateUserCache(username: string): Promise<void> {
    await this.redis.del(`user:cache:${username}`);
  }

  async recordRejection(username: string, eventId: string, reason: string): Promise<void> {
    await this.redis.set(`user:rejected:${username}`, JSON.stringify({ eventId, reason }), 'PX', this.rejectionTtlMs);
  }
}
