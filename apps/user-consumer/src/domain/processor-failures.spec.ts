import { encodeEvent, type EventEnvelope } from '@usersys/event-schema';
import { createLogger } from '@usersys/logger';
import { createdEvent, updatedEvent } from '@usersys/user-consumer-testing/fixtures';
import type { FailureKind } from './failure-policy';
import type { InboundMessage } from './messages';
import type { HeadState, ParkState, Republisher, UserStore, WriteResult } from './ports';
import { EventProcessor } from './processor';

// Unit level, with in-memory fakes: what the executor does with each failure kind on the main topic.
function setup(failFor: Map<string, { error: Error; kind: FailureKind }>) {
  const parked = new Map<string, ParkState>();
  const heads: Array<{ username: string; state: HeadState; value: string | undefined }> = [];
  const queued: string[] = [];
  const written: string[] = [];
  const store = {
    write: jest.fn(async (events: EventEnvelope[]) => {
      const bad = events.find((e) => failFor.has(e.username));
      if (bad) throw failFor.get(bad.username)!.error;
      written.push(...events.map((e) => e.username));
      return events.map((e): WriteResult => ({ eventId: e.eventId, kind: 'applied', row: null }));
    }),
    ping: async () => {},
    classify: (err: unknown) => [...failFor.values()].find((f) => f.error === err)?.kind ?? 'transient',
    parkedUsers: async () => parked,
    setHead: async (e: EventEnvelope, _h: unknown, state: HeadState, value?: Buffer | null) => void heads.push({ username: e.username, state, value: value?.toString() }),
    appendParked: async (e: EventEnvelope) => (queued.push(e.eventId), true),
  } as unknown as UserStore;
  const republisher = { retry: jest.fn(async () => {}), deadLetter: jest.fn(async () => {}) } satisfies Republisher;
  const metrics = { consumed: jest.fn(), retried: jest.fn(), deadLettered: jest.fn(), databasePaused: jest.fn(), batchWritten: jest.fn() };
  const processor = new EventProcessor({
    store, bookkeeping: { markerEventIds: async () => new Map(), settle: async (items) => items.map(() => null), refreshRows: async () => {} }, republisher, metrics, log: createLogger('test', { level: 'silent' }), retry: { maxAttempts: 3, baseMs: 10, maxMs: 100 }, writeBatchMax: 10, degrade: () => false, sleep: async () => {},
  });
  const resolved: string[] = [];
  const ctl = { resolve: (o: string) => void resolved.push(o), heartbeat: async () => {}, isRunning: () => true };
  return { processor, ctl, resolved, heads, queued, written, republisher, metrics };
}

const msgs = (events: EventEnvelope[]): InboundMessage[] => events.map((e, i) => ({ topic: 'user.events.v1', partition: 0, offset: String(i), key: e.username, value: encodeEvent(e), headers: {} }));

describe('EventProcessor failures (main topic)', () => {
  it('a data error: dead letter at once, user parked dead (raw bytes), its later event queued, the rest applied, every offset resolved', async () => {
    const bad = createdEvent('bad_user');
    const t = setup(new Map([['bad_user', { error: new Error('22021: invalid byte sequence'), kind: 'data' as const }]]));
    const later = updatedEvent('bad_user', { nickname: 'x' });
    await t.processor.handleEventsBatch(msgs([createdEvent('good_one'), bad, createdEvent('good_two'), later]), t.ctl);
    expect(t.republisher.deadLetter).toHaveBeenCalledTimes(1);
    expect(t.republisher.deadLetter).toHaveBeenCalledWith(expect.objectContaining({ value: encodeEvent(bad) }), expect.objectContaining({ stage: 'write', reason: 'invalid data', attempts: 0 }));
    expect(t.republisher.retry).not.toHaveBeenCalled();
    expect(t.heads).toEqual([{ username: 'bad_user', state: expect.objectContaining({ status: 'dead', reason: 'invalid_data', attempts: 0 }), value: encodeEvent(bad).toString() }]);
    expect(t.queued).toEqual([later.eventId]);
    expect(t.written.sort()).toEqual(['good_one', 'good_two']);
    expect(t.metrics.deadLettered).toHaveBeenCalledWith('invalid_data');
    expect(t.metrics.databasePaused).not.toHaveBeenCalled();
    expect(t.resolved.at(-1)).toBe('3');
  });

  it('a transient error while the database answers: retry topic, attempt 1, user parked retrying', async () => {
    const t = setup(new Map([['slow_user', { error: new Error('57014: canceling statement'), kind: 'transient' as const }]]));
    await t.processor.handleEventsBatch(msgs([createdEvent('slow_user')]), t.ctl);
    expect(t.republisher.retry).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ attempt: 1, stage: 'write' }));
    expect(t.republisher.deadLetter).not.toHaveBeenCalled();
    expect(t.heads).toEqual([{ username: 'slow_user', state: expect.objectContaining({ status: 'retrying', attempts: 1 }), value: expect.any(String) }]);
    expect(t.resolved).toEqual(['0']);
  });
});
