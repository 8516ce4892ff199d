import { encodeEvent, type EventEnvelope } from '@usersys/event-schema';
import { createLogger } from '@usersys/logger';
import { createdEvent, deletedEvent, updatedEvent } from '@usersys/user-consumer-testing/fixtures';
import type { InboundMessage } from './messages';
import type { Bookkeeping, ParkState, Republisher, UserStore, WriteResult } from './ports';
import { EventProcessor } from './processor';

// Unit level, with in-memory fakes: batching around non-creates, offsets, and the outage pause.
function setup(options: { down?: () => boolean } = {}) {
  const writes: string[][] = [];
  const parked = new Map<string, ParkState>();
  const store = {
    write: jest.fn(async (events: EventEnvelope[]) => {
      if (options.down?.()) throw new Error('connection refused');
      writes.push(events.map((e) => `${e.type}:${e.username}`));
      return events.map((e): WriteResult => ({ eventId: e.eventId, kind: 'applied', row: null }));
    }),
    ping: jest.fn(async () => {
      if (options.down?.()) throw new Error('connection refused');
    }),
    parkedUsers: jest.fn(async () => parked),
  } as unknown as UserStore;
  const bookkeeping: Bookkeeping = { markerEventIds: async () => new Map(), settle: async (items) => items.map(() => null), refreshRows: async () => {} };
  const republisher: Republisher = { retry: jest.fn(), deadLetter: jest.fn() };
  const metrics = { consumed: jest.fn(), retried: jest.fn(), deadLettered: jest.fn(), databasePaused: jest.fn(), batchWritten: jest.fn() };
  const processor = new EventProcessor({
    store, bookkeeping, republisher, metrics, log: createLogger('test', { level: 'silent' }), retry: { maxAttempts: 3, baseMs: 10, maxMs: 100 }, writeBatchMax: 3, degrade: () => false, sleep: async () => {},
  });
  const resolved: string[] = [];
  let beats = 0;
  const ctl = { resolve: (o: string) => void resolved.push(o), heartbeat: async () => void beats++, isRunning: () => true };
  return { processor, writes, resolved, ctl, republisher, metrics, beats: () => beats };
}

const msgs = (events: Array<EventEnvelope | string>): InboundMessage[] =>
  events.map((e, i) => ({ topic: 'user.events.v1', partition: 0, offset: String(i), key: typeof e === 'string' ? 'x' : e.username, value: typeof e === 'string' ? Buffer.from(e) : encodeEvent(e), headers: {} }));

describe('EventProcessor (main topic)', () => {
  it('writes creates of distinct users together, flushes before anything else, resolves every offset in order', async () => {
    const { processor, writes, resolved, ctl } = setup();
    const [a, b, c, d] = ['aaa', 'bbb', 'ccc', 'ddd'];
    await processor.handleEventsBatch(msgs([createdEvent(a), createdEvent(b), updatedEvent(a, { nickname: 'n' }), createdEvent(c), createdEvent(c), createdEvent(d), deletedEvent(b)]), ctl);
    expect(writes).toEqual([['user.created:aaa', 'user.created:bbb'], ['user.updated:aaa'], ['user.created:ccc'], ['user.created:ccc', 'user.created:ddd'], ['user.deleted:bbb']]);
    expect(resolved.map(Number)).toEqual([...resolved.map(Number)].sort((x, y) => x - y));
    expect(resolved.at(-1)).toBe('6');
  });

  it('caps a group at CONSUMER_WRITE_BATCH_MAX', async () => {
    const { processor, writes, ctl } = setup();
    await processor.handleEventsBatch(msgs(['u1', 'u2', 'u3', 'u4', 'u5'].map((n) => createdEvent(`${n}_x`))), ctl);
    expect(writes.map((w) => w.length)).toEqual([3, 2]);
  });

  it('dead-letters poison and keeps going', async () => {
    const { processor, writes, resolved, ctl, republisher } = setup();
    await processor.handleEventsBatch(msgs(['{bad', createdEvent('after')]), ctl);
    expect(republisher.deadLetter).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ stage: 'poison', reason: 'invalid event: not JSON' }));
    expect(writes).toEqual([['user.created:after']]);
    expect(resolved).toEqual(['0', '1']);
  });

  it('pauses while the database is down (heartbeats, nothing resolved, no retries) and resumes with the same write', async () => {
    let down = true;
    let pings = 0;
    const t = setup({ down: () => down });
    (t as unknown as { processor: { deps: { store: { ping: () => Promise<void> } } } }).processor.deps.store.ping = async () => {
      if (++pings > 3) down = false;
      if (down) throw new Error('refused');
    };
    await t.processor.handleEventsBatch(msgs([createdEvent('paused')]), t.ctl);
    expect(t.writes).toEqual([['user.created:paused']]);
    expect(t.republisher.retry).not.toHaveBeenCalled();
    expect(t.beats()).toBeGreaterThan(0);
    expect(t.metrics.databasePaused).toHaveBeenCalledWith(true);
    expect(t.resolved).toEqual(['0']);
  });

  it('stops without resolving when asked to stop during an outage', async () => {
    const t = setup({ down: () => true });
    let running = true;
    const ctl = { ...t.ctl, isRunning: () => running, heartbeat: async () => void (running = false) };
    await t.processor.handleEventsBatch(msgs([createdEvent('stopping')]), ctl);
    expect(t.resolved).toEqual([]);
  });
});
