import { AppError, HashPoolBusyError, PasswordHashPool, type PasswordHashPoolOptions } from '@usersys/service-kit';
import type { PasswordVerifier } from '../domain/ports';
import { ERRORS } from '../errors';

/**
 * The gateway's bcrypt workers (a PasswordHashPool of @usersys/service-kit): a compare that would wait
 * longer than the budget is refused at once with 503 PASSWORD_CHECK_BUSY and Retry-After.
 */
export class BcryptPool implements PasswordVerifier {
  private readonly pool: PasswordHashPool;

  constructor(options: PasswordHashPoolOptions) {
    this.pool = new PasswordHashPool(options);
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.pool.compare(password, hash).catch(busyAs503);
  }

  hash(password: string, cost: number): Promise<string> {
    return this.pool.hash(password, cost).catch(busyAs503);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function busyAs503(err: unknown): never {
  if (err instanceof HashPoolBusyError) throw new AppError(ERRORS.PASSWORD_CHECK_BUSY, undefined, { cause: err, headers: { 'Retry-After': String(err.retryAfterSeconds) } });
  throw err;
}
