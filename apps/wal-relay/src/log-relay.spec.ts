import { decodeEvent, createEvent, encodeEvent, TOPICS } from '@usersys/event-schema';
import { readCheckpoint, WalWriter } from '@usersys/wal';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { RelayConfig } from './config';
import { LogRelay, type MessageSink, type OutgoingMessage } from './log-relay';
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

const config = { batchMaxRecords: 3, batchMaxBytes: 1 << 20, pollIntervalMs: 2, retryInitialMs: 5, retryMaxMs: 20, backlogWarnRecords: 1000, ageWarnMs: 5000, pruneSegments: true } as RelayConfig;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

async function until(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
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
    await relay.updateBacklog();
    await relay.stop();
    await writer.close();

    expect(sink.delivered.map((m) => decodeEvent(m.value).eventId)).toEqual(events.map((e) => e.eventId));
    const first = sink.delivered[0];
    expect(first).toMatchObject({ topic: TOPICS.events, key: 'user_0' });
    expect(first.headers).toMatchObject({ 'event-id': events[0].eventId, 'event-type': 'user.deleted', 'schema-version': '1' });
    expect(first.headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(await readCheckpoint(dir)).not.toBeNull();
    expect(relay.backlog).toBe(0);
    expect((await metrics.sendFailures.get()).values[0].value).toBe(3);
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
});
