import path from 'node:path';
import { Piscina } from 'piscina';
import type { PasswordVerifier } from '../domain/ports';

/** bcryptjs in a fixed pool of worker threads (piscina), so one slow compare never stalls the event loop. */
export class BcryptPool implements PasswordVerifier {
  private readonly pool: Piscina;

  constructor(readonly size: number) {
    this.pool = new Piscina({
      filename: path.join(__dirname, 'compare-worker.cjs'),
      minThreads: size,
      maxThreads: size,
      // Plain JS worker: no TS loader or tracing preload in each thread.
      execArgv: [],
    });
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.pool.run({ op: 'compare', password, hash });
  }

  hash(password: string, cost: number): Promise<string> {
    return this.pool.run({ op: 'hash', password, cost });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
