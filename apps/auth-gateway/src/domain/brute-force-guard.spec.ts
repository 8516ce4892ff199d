import { addFailure, BruteForceGuard, lockDurationMs, type LockoutPolicy } from './brute-force-guard';
import { MemoryLockoutStore } from './memory-lockout-store';

const MIN = 60_000;
const POLICY: LockoutPolicy = { threshold: 3, globalThreshold: 5, windowMs: 15 * MIN, baseLockMs: MIN, maxLockMs: 5 * MIN };

describe('lockout rule', () => {
  it('doubles the lock per repeated lock, capped at maxLockMs', () => {
    expect([1, 2, 3, 4, 5, 60].map((n) => lockDurationMs(POLICY, n))).toEqual([MIN, 2 * MIN, 4 * MIN, 5 * MIN, 5 * MIN, 5 * MIN]);
  });

  it('locks at the threshold within the window, and a new window starts after it ran out', () => {
    let c = addFailure(POLICY, undefined, 3, 0);
    c = addFailure(POLICY, c, 3, 14 * MIN);
    expect(c).toEqual({ failures: 2, windowStart: 0, lockedUntil: 0, locks: 0 });
    c = addFailure(POLICY, c, 3, 15 * MIN); // the window of the first failure is over
    expect(c).toEqual({ failures: 1, windowStart: 15 * MIN, lockedUntil: 0, locks: 0 });
    c = addFailure(POLICY, addFailure(POLICY, c, 3, 16 * MIN), 3, 17 * MIN);
    expect(c).toEqual({ failures: 3, windowStart: 15 * MIN, lockedUntil: 18 * MIN, locks: 1 });
  });

  it('starts counting afresh after a lock ends, and forgets the streak a window after the last lock', () => {
    let c = { failures: 3, windowStart: 0, lockedUntil: 2 * MIN, locks: 1 };
    c = addFailure(POLICY, c, 3, 2 * MIN);
    expect(c).toEqual({ failures: 1, windowStart: 2 * MIN, lockedUntil: 2 * MIN, locks: 1 });
    c = addFailure(POLICY, addFailure(POLICY, c, 3, 3 * MIN), 3, 3 * MIN);
    expect(c).toEqual({ failures: 3, windowStart: 2 * MIN, lockedUntil: 5 * MIN, locks: 2 }); // second lock: 2 minutes
    const later = 5 * MIN + 15 * MIN; // a whole window after that lock ended
    expect(addFailure(POLICY, c, 3, later)).toEqual({ failures: 1, windowStart: later, lockedUntil: 5 * MIN, locks: 0 });
  });
});

describe('BruteForceGuard', () => {
  let now = 0;
  let guard: BruteForceGuard;
  const fail = async (username: string, network: string, times: number) => {
    for (let i = 0; i < times; i++) await guard.failed(username, network);
  };
  beforeEach(() => {
    now = 1_000_000;
    guard = new BruteForceGuard(new MemoryLockoutStore(POLICY), POLICY, () => now);
  });

  it('locks a (username, network) pair at the threshold with doubling locks up to the cap; other networks still pass', async () => {
    const policy = { ...POLICY, globalThreshold: 100 };
    guard = new BruteForceGuard(new MemoryLockoutStore(policy), policy, () => now);
    await fail('alice', 'n1', 2);
    expect(await guard.check('alice', 'n1')).toEqual({ locked: false, tracked: true });
    await fail('alice', 'n1', 1);
    expect((await guard.check('alice', 'n1')).locked).toBe(true);
    expect((await guard.check('alice', 'n2')).locked).toBe(false);
    expect((await guard.check('bob', 'n1')).locked).toBe(false);
    const locks: number[] = [];
    for (let i = 0; i < 4; i++) {
      const status = await guard.status('alice');
      locks.push(status.until!.getTime() - now);
      now = status.until!.getTime();
      expect((await guard.check('alice', 'n1')).locked).toBe(false);
      await fail('alice', 'n1', 3);
    }
    expect(locks).toEqual([MIN, 2 * MIN, 4 * MIN, 5 * MIN]);
  });

  it('does not count failures while locked, so a locked attacker cannot extend the lock', async () => {
    await fail('alice', 'n1', 3);
    const until = (await guard.status('alice')).until;
    await fail('alice', 'n1', 20);
    expect(await guard.status('alice')).toEqual({ locked: true, until, failures: 3 });
  });

  it('locks the username on every network at the softer threshold across networks', async () => {
    await fail('alice', 'n1', 2);
    await fail('alice', 'n2', 2);
    expect((await guard.check('alice', 'n3')).locked).toBe(false);
    await fail('alice', 'n3', 1);
    for (const n of ['n1', 'n2', 'n3', 'n4']) expect((await guard.check('alice', n)).locked).toBe(true);
    expect(await guard.status('alice')).toEqual({ locked: true, until: new Date(now + MIN), failures: 5 });
    now += MIN;
    expect((await guard.check('alice', 'n4')).locked).toBe(false);
  });

  it('a success clears that network only; the count across networks stays', async () => {
    await fail('alice', 'n1', 2);
    await fail('alice', 'n2', 1);
    await guard.succeeded('alice', 'n1', await guard.check('alice', 'n1'));
    expect(await guard.check('alice', 'n1')).toEqual({ locked: false, tracked: false });
    expect(await guard.check('alice', 'n2')).toEqual({ locked: false, tracked: true });
    await fail('alice', 'n1', 1); // would lock n1 had the success not cleared it
    expect((await guard.check('alice', 'n1')).locked).toBe(false);
    expect(await guard.status('alice')).toEqual({ locked: false, failures: 4 });
  });

  it('shows nothing for an unknown name and clears everything on clear()', async () => {
    expect(await guard.status('nobody')).toEqual({ locked: false, failures: 0 });
    await fail('alice', 'n1', 3);
    await guard.clear('alice');
    expect(await guard.status('alice')).toEqual({ locked: false, failures: 0 });
    expect((await guard.check('alice', 'n1')).locked).toBe(false);
  });

  it('reports failures in the current window only', async () => {
    await fail('alice', 'n1', 2);
    now += 15 * MIN;
    expect(await guard.status('alice')).toEqual({ locked: false, failures: 0 });
  });
});
