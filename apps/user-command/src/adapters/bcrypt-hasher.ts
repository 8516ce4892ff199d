import { AppError, HashPoolBusyError, PasswordHashPool, type PasswordHashImpl } from '@usersys/service-kit';
import type { Registry } from 'prom-client';
import type { PasswordHasher } from '../domain/ports';
import { ERRORS } from '../errors';

/**
 * Hashes in user-command's bcrypt workers (a PasswordHashPool of @usersys/service-kit). A hash that
 * would wait longer than the budget is refused at once: 503 HASHING_BUSY with Retry-After, before
 * anything is written (checked first by refuseIfBusy, again when the hash is queued). Its
 * `user_command_bcrypt_hash_seconds` is the time inside a worker (no queueing): workers ÷ its mean
 * is the pool's throughput ceiling.
 */
export class BcryptHasher implements PasswordHasher {
  private readonly pool: PasswordHashPool;

  constructor(
    private readonly cost: number,
    options: { workers: number; impl: PasswordHashImpl; waitBudgetMs: number },
    registry?: Registry,
  ) {
    this.pool = new PasswordHashPool({ ...options, metrics: registry && { registry, prefix: 'user_command' } });
  }

  async hash(password: string): Promise<string> {
    try {
      return await this.pool.hash(password, this.cost);
    } catch (err) {
      throw busyAs503(err);
    }
  }

  refuseIfBusy(): void {
    try {
      this.pool.refuseIfBusy('hash');
    } catch (err) {
      throw busyAs503(err);
    }
  }

  /** One hash before serving: starts the workers and gives the wait estimate its first measurement. */
  async warmUp(): Promise<void> {
    await this.pool.hash('warm-up', this.cost);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function busyAs503(err: unknown): unknown {
  return err instanceof HashPoolBusyError ? new AppError(ERRORS.HASHING_BUSY, undefined, { cause: err, headers: { 'Retry-After': String(err.retryAfterSeconds) } }) : err;
}
