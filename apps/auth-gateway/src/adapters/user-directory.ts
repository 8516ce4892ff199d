import type { PrismaClient } from '@usersys/db';
import type { Logger } from '@usersys/logger';
import { AppError } from '@usersys/service-kit';
import { cachedUserOf, fillCachedUser, readCachedUser, type CachedUser, type UserCacheSeal } from '@usersys/user-cache';
import type { Redis } from 'ioredis';
import type { LoginUser, UserDirectory } from '../domain/ports';
import { ERRORS } from '../errors';

/**
 * Accounts for login: the Redis user cache first, then PostgreSQL. A miss is filled only with
 * fillCachedUser (SET NX), so an older row read here never overwrites the consumer's fresh entry.
 * Redis trouble is not fatal: the lookup goes to PostgreSQL (logged once per episode).
 */
export class CachedUserDirectory implements UserDirectory {
  private redisDown = false;

  constructor(
    private readonly redis: Redis,
    private readonly prisma: PrismaClient,
    private readonly log: Logger,
    private readonly seal: UserCacheSeal,
  ) {}

  async find(username: string): Promise<LoginUser | null> {
    const cached = await this.fromCache(username);
    if (cached) return cached;
    let row;
    try {
      row = await this.prisma.user.findUnique({ where: { username } });
    } catch (err) {
      throw new AppError(ERRORS.UNAVAILABLE, 'user store unavailable; retry', { cause: err });
    }
    if (!row) return null;
    const user = cachedUserOf(row);
    if (this.redis.status === 'ready') void fillCachedUser(this.redis, this.seal, user).catch(() => undefined);
    return user;
  }

  private async fromCache(username: string): Promise<CachedUser | null> {
    if (this.redis.status !== 'ready') return this.cacheDown(new Error(`redis ${this.redis.status}`));
    try {
      const user = await readCachedUser(this.redis, this.seal, username);
      if (this.redisDown) this.log.info({ step: 'userLookup', degrade: false }, 'user cache reachable again');
      this.redisDown = false;
      return user;
    } catch (err) {
      return this.cacheDown(err as Error);
    }
  }

  private cacheDown(err: Error): null {
    if (!this.redisDown) this.log.warn({ step: 'userLookup', degrade: true, err: err.message }, 'user cache unavailable: reading PostgreSQL');
    this.redisDown = true;
    return null;
  }
}
