/**
 * A seeded pseudo-random generator (mulberry32: 32-bit state, good enough to pick operations and
 * reproducible from the seed alone). The invariant suite prints its seed so a failing run can be
 * repeated with INVARIANT_SEED=<seed>.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }
}

/** INVARIANT_SEED when set (decimal), otherwise a fresh random 32-bit seed. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.INVARIANT_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`INVARIANT_SEED must be an integer 0..4294967295 (got "${given}")`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}
