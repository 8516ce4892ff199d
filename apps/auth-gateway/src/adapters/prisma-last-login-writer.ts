import type { PrismaClient } from '@usersys/db';
import type { LastLoginWriter } from '../domain/ports';

/**
 * One UPDATE per batch (unnest of two arrays), never moving a time backwards, inside a transaction
 * with a local statement_timeout so a batch really stops at LOGIN_UPDATE_TIMEOUT. updated_at is
 * left alone: a login is not a change of the account.
 */
export class PrismaLastLoginWriter implements LastLoginWriter {
  constructor(private readonly prisma: PrismaClient) {}

  async writeBatch(entries: Array<{ username: string; at: Date }>, timeoutMs: number): Promise<number> {
    const usernames = entries.map((e) => e.username);
    const times = entries.map((e) => e.at.toISOString());
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
        return tx.$executeRaw`
          UPDATE users AS u SET last_login_at = v.at
          FROM unnest(${usernames}::text[], ${times}::timestamptz[]) AS v(username, at)
          WHERE u.username = v.username AND (u.last_login_at IS NULL OR u.last_login_at < v.at)`;
      },
      { maxWait: timeoutMs, timeout: timeoutMs + 1000 },
    );
  }
}
