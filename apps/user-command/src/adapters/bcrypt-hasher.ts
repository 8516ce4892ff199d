import path from 'node:path';
import { Piscina } from 'piscina';
import { Histogram, type Registry } from 'prom-client';
import type { PasswordHasher } from '../domain/ports';

/** bcryptjs in a fixed pool of worker threads (piscina), so a hash never stalls other requests. */
export class BcryptHasher implements PasswordHasher {
  private readonly pool: Piscina;
  private readonly hashSeconds?: Histogram;

  constructor(
    private readonly cost: number,
    workers: number,
    registry?: Registry,
  ) {
    this.pool = new Piscina({
      filename: path.join(__dirname, 'password-worker.cjs'),
      minThreads: workers,
      maxThreads: workers,
      // The worker is plain JS: do not load the TS loader or the tracing preload into each thread.
      execArgv: [],
    });
    // Time inside a worker (no queueing): hash workers ÷ its mean is the pool's throughput ceiling.
    this.hashSeconds = registry && new Histogram({ name: 'user_command_bcrypt_hash_seconds', help: 'Time of one bcrypt hash inside a worker thread', labelNames: ['cost'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5], registers: [registry] });
  }

  async hash(password: string): Promise<string> {
    const { hash, ms } = (await this.pool.run({ password, cost: this.cost })) as { hash: string; ms: number };
    this.hashSeconds?.observe({ cost: String(this.cost) }, ms / 1000);
    return hash;
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
