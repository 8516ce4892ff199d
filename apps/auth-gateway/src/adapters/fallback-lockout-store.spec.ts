import { BruteForceGuard, type LockoutPolicy, type LockoutStore } from '../domain/brute-force-guard';
import { MemoryLockoutStore } from '../domain/memory-lockout-store';
import { FallbackLockoutStore } from './fallback-lockout-store';

const POLICY: LockoutPolicy = { threshold: 3, globalThreshold: 10, windowMs: 900_000, baseLockMs: 60_000, maxLockMs: 900_000 };

describe('FallbackLockoutStore', () => {
  let clock = 0;
  let redisUp = true;
  let redisCalls = 0;
  const shared = new MemoryLockoutStore(POLICY); // stands in for Redis
  const redis = new Proxy(shared, {
    get: (target, prop) => {
      const member = Reflect.get(target, prop);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        redisCalls++;
        return redisUp ? member.apply(target, args) : Promise.reject(new Error('ECONNREFUSED'));
      };
    },
  }) as LockoutStore;
  const transitions: boolean[] = [];
  let fallbackDecisions = 0;
  const store = new FallbackLockoutStore(redis, new MemoryLockoutStore(POLICY), () => true, { onDegradedChange: (d) => transitions.push(d), onFallbackDecision: () => fallbackDecisions++ }, { probeIntervalMs: 1000, now: () => clock });
  const guard = new BruteForceGuard(store, POLICY, () => clock);

  it('keeps locking in memory while Redis fails, tries Redis at most once per probe interval, and returns to it', async () => {
    await guard.failed('alice', 'n1');
    expect(transitions).toEqual([]);

    redisUp = false;
    const before = redisCalls;
    for (let i = 0; i < 3; i++) await guard.failed('bob', 'n1');
    expect((await guard.check('bob', 'n1')).locked).toBe(true); // the same rule, counted locally
    expect(redisCalls - before).toBe(1); // the first call failed; the rest went straight to memory
    expect(transitions).toEqual([true]);
    expect(store.isDegraded).toBe(true);
    expect(fallbackDecisions).toBe(4); // three failures and one check

    clock += 1000;
    redisUp = true;
    expect((await guard.check('bob', 'n1')).locked).toBe(false); // Redis never saw bob's failures
    expect(transitions).toEqual([true, false]);
    expect(await guard.status('alice')).toEqual({ locked: false, failures: 1 }); // what Redis counted before
  });

  it('clears both places on an admin clear', async () => {
    redisUp = false;
    clock += 1000;
    for (let i = 0; i < 3; i++) await guard.failed('carol', 'n1');
    redisUp = true;
    clock += 1000;
    await guard.clear('carol');
    redisUp = false;
    clock += 1000;
    expect((await guard.check('carol', 'n1')).locked).toBe(false);
  });
});
