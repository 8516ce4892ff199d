import { decodeEvent, createEvent, encodeEvent, SCHEMA_VERSION, TOPICS } from '@usersys/event-schema';
import { readCheckpoint, WalWriter } from '@usersys/wal';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { LogRelay, laneOf, type LogRelayConfig } from './log-relay';
import { RejectedRecordsError, type MessageSink, type OutgoingMessage } from './ports';
import { createRelayMetrics } from './relay-metrics';

// Unit test of the relay loop with a fake Kafka (the real one is covered by the e2e suite).
class FlakySink implements MessageSink {
  delivered: OutgoingMessage[] = [];
  constructor(private failuresLeft: number) {}
  async send(messages: OutgoingMessage[]): Promise<void> {
    if (this.failuresLeft-- > 0) throw new Error('broker not available');
    this.delivered.push(...messages);
  }
}

/** Lanes answer after random delays, so later chunks often finish before earlier ones. */
class JitterySink implements MessageSink {
  delivered: OutgoingMessage[] = [];
  lanesUsed = new Set<number>();
  async send(messages: OutgoingMessage[], lane: number): Promise<void> {
    this.lanesUsed.add(lane);
    await new Promise((r) => setTimeout(r, Math.random() * 10));
    this.delivered.push(...messages);
  }
}

/** Refuses any batch holding a record bigger than `limit`, like MESSAGE_TOO_LARGE. */
class PickySink implements MessageSink {
  delivered: OutgoingMessage[] = [];
  constructor(private readonly limit: number) {}
  async send(messages: OutgoingMessage[]): Promise<void> {
    if (messages.some((m) => m.value.length > this.limit && m.topic === TOPICS.events)) throw new RejectedRecordsError('MESSAGE_TOO_LARGE: too big');
    this.delivered.push(...messages);
  }
}

const config: LogRelayConfig = {
  batchMaxRecords: 3,
  batchMaxBytes: 1 << 20,
  lingerMs: 0,
  maxInFlight: 1,
  pollIntervalMs: 2,
  retryInitialMs: 5,
  retryMaxMs: 20,
  readErrorPauseMs: 20,
  checkpointIntervalMs: 5,
  backlogWarnRecords: 1000,
  ageWarnMs: 5000,
  ackedSegments: 'delete',
};
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

async function until(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function drained(relay: LogRelay) {
  for (let i = 0; i < 500; i++) {
    await relay.updateBacklog();
    if (relay.backlog === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`backlog stays at ${relay.backlog}`);
}

describe('LogRelay', () => {
  it('retries through failures, delivers every record in order with contract headers, then checkpoints', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir);
    const events = Array.from({ length: 10 }, (_, i) => createEvent('user.deleted', `user_${i % 3}`, {}, { traceparent: TRACEPARENT }));
    for (const e of events) await writer.append(encodeEvent(e));
    const sink = new FlakySink(3);
    const metrics = createRelayMetrics(new Registry());
    const relay = new LogRelay(dir, sink, config, metrics, pino({ level: 'silent' }));
    await relay.start();
    await until(() => sink.delivered.length === 10);
    await drained(relay);
    await relay.stop();
    await writer.close();

    expect(sink.delivered.map((m) => decodeEvent(m.value).eventId)).toEqual(events.map((e) => e.eventId));
    const first = sink.delivered[0];
    expect(first).toMatchObject({ topic: TOPICS.events, key: 'user_0' });
    expect(first.headers).toMatchObject({ 'event-id': events[0].eventId, 'event-type': 'user.deleted', 'schema-version': String(SCHEMA_VERSION) });
    expect(first.headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(await readCheckpoint(dir)).not.toBeNull();
    expect(relay.backlog).toBe(0);
    expect((await metrics.sendFailures.get()).values[0].value).toBe(3);
  });

  it('wakes on new WAL data without waiting for its (here 10 min) safety-net poll, across segment rotations', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir, { segmentBytes: 600 }); // a few records per segment
    const sink = new FlakySink(0);
    const relay = new LogRelay(dir, sink, { ...config, pollIntervalMs: 600_000 }, createRelayMetrics(new Registry()), pino({ level: 'silent' }));
    await writer.append(encodeEvent(createEvent('user.deleted', 'user_0', {}, { traceparent: TRACEPARENT })));
    const later = Array.from({ length: 12 }, (_, i) => createEvent('user.deleted', `user_${i % 3}`, {}, { traceparent: TRACEPARENT }));
    await relay.start();
    try {
      await until(() => sink.delivered.length === 1);
      // Caught up: the pump now sleeps. Each append below must wake it (the poll would not, within the test's time).
      for (const e of later) {
        await writer.append(encodeEvent(e));
        await new Promise((r) => setTimeout(r, 5)); // one at a time, as records trickle in when idle
      }
      await until(() => sink.delivered.length === 13);
    } finally {
      await relay.stop();
      await writer.close();
    }
    expect(sink.delivered.slice(1).map((m) => decodeEvent(m.value).eventId)).toEqual(later.map((e) => e.eventId));
  });

  it('sends an unreadable record to the dead-letter topic with the reason instead of dropping it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir);
    await writer.append(Buffer.from('{"not":"an event"}'));
    const sink = new FlakySink(0);
    const relay = new LogRelay(dir, sink, config, createRelayMetrics(new Registry()), pino({ level: 'silent' }));
    await relay.start();
    await until(() => sink.delivered.length === 1);
    await relay.stop();
    await writer.close();
    expect(sink.delivered[0].topic).toBe(TOPICS.deadLetter);
    expect(sink.delivered[0].headers['dlq-reason']).toMatch(/invalid event/);
  });

  it('resumes after a restart from the checkpoint without resending acknowledged records', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir);
    for (let i = 0; i < 4; i++) await writer.append(encodeEvent(createEvent('user.deleted', `u_${i}x`, {})));
    const firstSink = new FlakySink(0);
    const first = new LogRelay(dir, firstSink, config, createRelayMetrics(new Registry()), pino({ level: 'silent' }));
    await first.start();
    await until(() => firstSink.delivered.length === 4);
    await first.stop();
    for (let i = 4; i < 6; i++) await writer.append(encodeEvent(createEvent('user.deleted', `u_${i}x`, {})));
    const secondSink = new FlakySink(0);
    const second = new LogRelay(dir, secondSink, config, createRelayMetrics(new Registry()), pino({ level: 'silent' }));
    await second.start();
    await until(() => secondSink.delivered.length === 2);
    await second.stop();
    await writer.close();
    expect(secondSink.delivered.map((m) => m.key)).toEqual(['u_4x', 'u_5x']);
  });

  it('keeps per-key order over several lanes that finish out of order, and checkpoints only the acknowledged prefix', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir, { segmentBytes: 4096 });
    const events = Array.from({ length: 300 }, (_, i) => createEvent('user.deleted', `user_${i % 17}`, {}));
    await Promise.all(events.map((e) => writer.append(encodeEvent(e))));
    const sink = new JitterySink();
    const relay = new LogRelay(dir, sink, { ...config, batchMaxRecords: 20, maxInFlight: 4 }, createRelayMetrics(new Registry()), pino({ level: 'silent' }));
    await relay.start();
    await until(() => sink.delivered.length === 300);
    await drained(relay);
    await relay.stop();
    expect(sink.lanesUsed.size).toBe(4);
    const order = (list: string[]) => {
      const byKey = new Map<string, string[]>();
      for (const id of list) {
        const key = events.find((e) => e.eventId === id)!.username;
        byKey.set(key, [...(byKey.get(key) ?? []), id]);
      }
      return byKey;
    };
    expect(order(sink.delivered.map((m) => m.headers['event-id']))).toEqual(order(events.map((e) => e.eventId)));
    expect(await readCheckpoint(dir)).toEqual(writer.position);
    await writer.close();
  });

  it('sends a record Kafka refuses to the dead-letter topic with the reason, and the rest of its batch normally', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir);
    const small = createEvent('user.deleted', 'small_1', {});
    const big = createEvent('user.updated', 'big_1', { nickname: 'n'.repeat(60) });
    const after = createEvent('user.deleted', 'small_2', {});
    for (const e of [small, big, after]) await writer.append(encodeEvent(e));
    const sink = new PickySink(encodeEvent(big).length - 1);
    const metrics = createRelayMetrics(new Registry());
    const relay = new LogRelay(dir, sink, config, metrics, pino({ level: 'silent' }));
    await relay.start();
    await until(() => sink.delivered.length === 3);
    await relay.stop();
    await writer.close();
    expect(sink.delivered.map((m) => [m.topic, m.key])).toEqual([
      [TOPICS.events, 'small_1'],
      [TOPICS.deadLetter, 'big_1'],
      [TOPICS.events, 'small_2'],
    ]);
    expect(sink.delivered[1].headers).toMatchObject({ 'dlq-reason': expect.stringContaining('MESSAGE_TOO_LARGE'), 'event-id': big.eventId });
    expect((await metrics.deadLetters.get()).values[0].value).toBe(1);
  });

  it('stops promptly while Kafka is down, without moving the checkpoint past unacknowledged records', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-spec-'));
    const writer = await WalWriter.open(dir);
    for (let i = 0; i < 5; i++) await writer.append(encodeEvent(createEvent('user.deleted', `down_${i}`, {})));
    const sink = new FlakySink(Number.MAX_SAFE_INTEGER);
    const relay = new LogRelay(dir, sink, { ...config, retryMaxMs: 60_000 }, createRelayMetrics(new Registry()), pino({ level: 'silent' }));
    await relay.start();
    await until(() => relay.problem() !== null);
    expect(relay.problem()).toMatch(/kafka sends failing/);
    await relay.stop();
    expect(await readCheckpoint(dir)).toBeNull();
    await writer.close();
  });
});

describe('laneOf', () => {
  it('maps a key to one lane, spreading keys over all of them', () => {
    expect(laneOf('alice', 4)).toBe(laneOf('alice', 4));
    expect(new Set(Array.from({ length: 100 }, (_, i) => laneOf(`user_${i}`, 4))).size).toBe(4);
    expect(laneOf('anything', 1)).toBe(0);
  });
});
