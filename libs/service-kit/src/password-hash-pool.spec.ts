import { Registry } from 'prom-client';
import { HashPoolBusyError, PasswordHashPool } from './password-hash-pool';

const pools: PasswordHashPool[] = [];
afterAll(() => Promise.all(pools.map((p) => p.close())));

function pool(options: Partial<ConstructorParameters<typeof PasswordHashPool>[0]> = {}): PasswordHashPool {
  const p = new PasswordHashPool({ workers: 1, impl: 'node-rs', waitBudgetMs: 100, ...options });
  pools.push(p);
  return p;
}

describe('PasswordHashPool', () => {
  it('a hash made by one implementation verifies with the other, both as $2b$', async () => {
    const nodeRs = pool({ impl: 'node-rs' });
    const bcryptjs = pool({ impl: 'bcryptjs' });
    const [a, b] = await Promise.all([nodeRs.hash('correct horse', 4), bcryptjs.hash('correct horse', 4)]);
    expect(a).toMatch(/^\$2b\$04\$/);
    expect(b).toMatch(/^\$2b\$04\$/);
    expect(await bcryptjs.compare('correct horse', a)).toBe(true);
    expect(await nodeRs.compare('correct horse', b)).toBe(true);
    expect(await bcryptjs.compare('wrong horse', a)).toBe(false);
    expect(await nodeRs.compare('wrong horse', b)).toBe(false);
  });

  it('refuses at once what would wait longer than the budget, counts it, and admits again once drained', async () => {
    const registry = new Registry();
    // One worker and a budget below one hash: with a hash running, the next one is over budget.
    const p = pool({ workers: 1, waitBudgetMs: 1, metrics: { registry, prefix: 'test' } });
    await p.hash('warm-up', 8); // measures the time of a round
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => p.hash(`pw-${i}`, 8)));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const err of refused) {
      expect(err).toBeInstanceOf(HashPoolBusyError);
      expect((err as HashPoolBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    expect((await registry.getSingleMetric('test_hash_pool_refused_total')?.get())?.values).toEqual([expect.objectContaining({ labels: { op: 'hash' }, value: 7 })]);
    expect(p.expectedWaitMs()).toBe(0);
    await expect(p.hash('after', 4)).resolves.toMatch(/^\$2b\$04\$/);
  });

  it('queues within the budget: a generous budget admits a burst and answers every task', async () => {
    const p = pool({ workers: 1, waitBudgetMs: 60_000 });
    await p.hash('warm-up', 4);
    const hashes = await Promise.all(Array.from({ length: 6 }, (_, i) => p.hash(`pw-${i}`, 4)));
    expect(new Set(hashes).size).toBe(6);
  });

  it('counts a compare at the cost written in its hash', async () => {
    const p = pool({ workers: 1, waitBudgetMs: 1 });
    const hash = await p.hash('pw', 8);
    const results = await Promise.allSettled([p.compare('pw', hash), p.compare('pw', hash)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });
});
