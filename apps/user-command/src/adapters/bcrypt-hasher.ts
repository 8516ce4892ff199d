import path from 'node:path';
import { Piscina } from 'piscina';
import type { PasswordHasher } from '../domain/ports';

/** bcryptjs in a fixed pool of worker threads (piscina), so a hash never stalls other requests. */
export class BcryptHasher implements PasswordHasher {
  private readonly pool: Piscina;

  constructor(
    private readonly cost: number,
    workers: number,
  ) {
    this.pool = new Piscina({
      filename: path.join(__dirname, 'password-worker.cjs'),
      minThreads: workers,
      maxThreads: workers,
      // The worker is plain JS: do not load the TS loader or the tracing preload into each thread.
      execArgv: [],
    });
  }

  hash(password: string): Promise<string> {
    return this.pool.run({ password, cost: this.cost });
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
