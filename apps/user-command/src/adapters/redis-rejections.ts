import type { Redis } from 'ioredis';
import type { RejectionRecords } from '../domain/ports';

/** `user:rejected:<username>`: written by user-consumer when an accepted sign-up loses in the database. */
export function rejectionKey(username: string): string {
  return `user:rejected:${username}`;
}

export class RedisRejections implements RejectionRecords {
  constructor(private readonly redis: Redis) {}

  async read(username: string) {
    const raw = await this.redis.get(rejectionKey(username));
    return raw ? (JSON.parse(raw) as { reason: string; eventId: string }) : null;
  }
}
