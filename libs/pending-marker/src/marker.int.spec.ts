import { DEFAULT_REDIS_URL } from '@usersys/config';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { PendingMarkerStore, pendingMarkerKey, PROVISIONAL_MARKER_TTL_MS } from './index';

// Integration test: talks to the real Redis started by tools/infra.sh.
const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
const store = new PendingMarkerStore(redis, { ttlMs: 60_000 });
const value = (eventId = randomUUID()) => ({ eventId, eventType: 'user.created', traceId: '0af7651916cd43dd8448eb211c80319c', createdAt: new Date().toISOString() });

describe('PendingMarkerStore against Redis', () => {
  beforeAll(() => redis.connect());
  afterAll(() => redis.quit());

  it('sets a provisional marker once; confirmed, it gets the full TTL; a second mark refreshes only a confirmed one and returns the first value', async () => {
    const name = `t_${randomUUID().slice(0, 8)}`;
    const first = value();
    const a = await store.markIfAbsent(name, first);
    expect(a).toEqual({ created: true, ttlMs: PROVISIONAL_MARKER_TTL_MS });
    expect(await redis.pttl(pendingMarkerKey(name))).toBeLessThanOrEqual(PROVISIONAL_MARKER_TTL_MS);
    // A retry while provisional: the value, and the short life left (never prolonged).
    await redis.pexpire(pendingMarkerKey(name), 1000);
    const early = await store.markIfAbsent(name, value());
    expect(early.created === false && early.existing).toMatchObject({ eventId: first.eventId, confirmed: false });
    expect(early.ttlMs).toBeLessThanOrEqual(1000);
    expect(await redis.pttl(pendingMarkerKey(name))).toBeLessThanOrEqual(1000);
    // Only the owning event confirms it.
    expect(await store.confirm(name, randomUUID())).toBe(false);
    expect(await store.confirm(name, first.eventId)).toBe(true);
    const ttl = await redis.pttl(pendingMarkerKey(name));
    expect(ttl).toBeGreaterThan(599_000);
    expect(ttl).toBeLessThanOrEqual(605_000);
    expect((await store.read(name))?.value).toMatchObject({ ...first, confirmed: true });
    await redis.pexpire(pendingMarkerKey(name), 1000);
    const b = await store.markIfAbsent(name, value());
    expect(b.created).toBe(false);
    expect(b.created === false && b.existing?.eventId).toBe(first.eventId);
    expect(await redis.pttl(pendingMarkerKey(name))).toBeGreaterThan(599_000);
    expect(await store.confirm(`${name}_gone`, first.eventId)).toBe(false);
  });

  it('a marker written before markers were confirmed (no field) counts as confirmed', async () => {
    const name = `t_${randomUUID().slice(0, 8)}`;
    const old = value();
    await redis.set(pendingMarkerKey(name), JSON.stringify(old), 'PX', 1000);
    const b = await store.markIfAbsent(name, value());
    expect(b.created === false && b.existing).toEqual(old);
    expect(await redis.pttl(pendingMarkerKey(name))).toBeGreaterThan(599_000);
  });

  it('races: of 20 concurrent marks exactly one wins', async () => {
    const name = `t_${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.markIfAbsent(name, value())));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('reads value and remaining TTL, and clears only for the owning event', async () => {
    const name = `t_${randomUUID().slice(0, 8)}`;
    const mine = value();
    await store.markIfAbsent(name, mine);
    await store.confirm(name, mine.eventId);
    const read = await store.read(name);
    expect(read?.value?.eventId).toBe(mine.eventId);
    expect(read?.ttlRemainingMs).toBeGreaterThan(590_000);
    expect(await store.clear(name, randomUUID())).toBe('other');
    expect(await store.clear(name, mine.eventId)).toBe('cleared');
    expect(await store.clear(name, mine.eventId)).toBe('absent');
    expect(await store.read(name)).toBeNull();
    expect(await store.refresh(name)).toBe(false);
  });
});
