import type { PrismaClient } from '@usersys/db';
import type { Logger } from '@usersys/logger';
import { AppError } from '@usersys/service-kit';
import { cachedUserOf, fillCachedUser, readCachedUser, type CachedUser, type UserCacheSeal } from '@usersys/user-cache';
import type { RedisClient } from '@usersys/service-kit';
import type { LoginUser, UserDirectory } from '../domain/ports';
import type { SessionAccount } from '../domain/session-check';
import { ERRORS } from '../errors';

/**
 * Accounts for login: the Redis user cache first, then PostgreSQL. A miss is filled only with
 * fillCachedUser (SET NX), so an older row read here never overwrites the consumer's fresh entry.
 * Redis trouble is not fatal: the lookup goes to PostgreSQL (logged once per episode).
 */
export class CachedUserDirectory implements UserDirectory {
  private redisDown = false;
  private databaseDown = false;

  constructor(
    private readonly redis: RedisClient,
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

  /**
   * The account as PostgreSQL (the source of truth) has it, for the per-request session check: a
   * Redis failover that lost the consumer's latest cache entry must not bring back a revoked
   * session, so the cache is read only while PostgreSQL fails (logged once per episode). Neither
   * answering: 503. The session check keeps the answer for a second, so this is one indexed read
   * per active account per second.
   */
  async findAccount(username: string): Promise<SessionAccount | null> {
    try {
      const row = await this.prisma.user.findUnique({ where: { username }, select: { username: true, accountId: true, credentialVersion: true, role: true, state: true } });
      if (this.databaseDown) this.log.info({ step: 'sessionCheck', degrade: false }, 'accounts read from PostgreSQL again');
      this.databaseDown = false;
      return row;
    } catch (err) {
      if (!this.databaseDown) this.log.warn({ step: 'sessionCheck', degrade: true, err: (err as Error).message }, 'PostgreSQL unavailable: sessions are checked against the sealed user cache');
      this.databaseDown = true;
      // A miss says nothing (the account may well exist): only an entry answers.
      const cached = this.redis.status === 'ready' ? await readCachedUser(this.redis, this.seal, username).catch(() => null) : null;
      if (!cached) throw new AppError(ERRORS.UNAVAILABLE, 'user store unavailable; retry', { cause: err });
      return cached;
    }
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
