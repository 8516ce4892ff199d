import { createEvent, decodeEvent, encodeEvent, SCHEMA_VERSION, TOPICS, type EventEnvelope } from '@usersys/event-schema';
import { freePort, startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import { MAX_RECORD_BYTES, WalWriter } from '@usersys/wal';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { KafkaSink } from './kafka-sink';
import { laneOf, LogRelay, type LogRelayConfig } from './log-relay';
import { createRelayMetrics } from './relay-metrics';
import { readBack, type ReadBack } from '@usersys/wal-relay-testing';

// Against a real (private) Kafka broker: these tests stop it and kill the relay.
const REPO = path.resolve(__dirname, '../../..');
const log = pino({ level: 'silent' });
const config: LogRelayConfig = {
  batchMaxRecords: 200,
  batchMaxBytes: 1 << 20,
  lingerMs: 0,
  maxInFlight: 3,
  pollIntervalMs: 5,
  retryInitialMs: 50,
  retryMaxMs: 1000,
  readErrorPauseMs: 1000,
  checkpointIntervalMs: 50,
  backlogWarnRecords: 1000,
  ageWarnMs: 5000,
  ackedSegments: 'delete',
};
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let kafka: PrivateService;
/** Relay child processes, killed whatever a test's outcome (a live child would keep jest from exiting). */
const children: Array<() => ChildProcess> = [];
beforeAll(async () => {
  kafka = await startPrivateKafka();
}, 180_000);
afterAll(async () => {
  for (const child of children) if (child().exitCode === null && child().signalCode === null) child().kill('SIGKILL');
  await kafka?.destroy();
});

/** Appends `count` events over `users` keys; each key's events are appended one after another. */
async function untilServing(port: number): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.ok, () => false);
    if (ok) return;
  }
  throw new Error(`relay on :${port} did not serve within 30 s`);
}

async function appendStream(writer: WalWriter, run: string, count: number, users: number, pauseMs = 0): Promise<EventEnvelope[]> {
  const events: EventEnvelope[] = [];
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      for (let i = u; i < count; i += users) {
        const event = createEvent('user.deleted', `${run}_u${u}`, {}, { traceparent: `00-${TRACE_ID}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01` });
        await writer.append(encodeEvent(event));
        events.push(event);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  return events;
}

function ofRun(messages: ReadBack[], run: string): ReadBack[] {
  return messages.filter((m) => m.key.startsWith(`${run}_`));
}

/** Every event arrived; any duplicate is the same event (same id, same bytes); per-key order kept (first arrivals). */
function expectAllDelivered(messages: ReadBack[], events: EventEnvelope[]): void {
  const byId = new Map<string, string>();
  for (const m of messages) {
    const id = m.headers['event-id'];
    if (byId.has(id)) expect(m.value).toBe(byId.get(id));
    byId.set(id, m.value);
    expect(decodeEvent(Buffer.from(m.value)).eventId).toBe(id);
  }
  expect(events.filter((e) => !byId.has(e.eventId)).map((e) => e.eventId)).toEqual([]);
  const expected = new Map<string, string[]>();
  for (const e of events) expected.set(e.username, [...(expected.get(e.username) ?? []), e.eventId]);
  const seen = new Map<string, string[]>();
  for (const m of messages) {
    const list = seen.get(m.key) ?? [];
    if (!list.includes(m.headers['event-id'])) list.push(m.headers['event-id']);
    seen.set(m.key, list);
  }
  expect(seen).toEqual(expected);
}

const allOf = (run: string, events: EventEnvelope[]) => (messages: ReadBack[]) => new Set(ofRun(messages, run).map((m) => m.headers['event-id'])).size >= events.length;

async function tempWal() {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'relay-int-'));
  return { root, dir: path.join(root, 'user-command') };
}

describe('wal-relay against a real Kafka broker', () => {
  jest.setTimeout(300_000);

  it('publishes every record with the contract headers, in order per key, inside the stored trace', async () => {
    const run = `ord${Date.now().toString(36)}`;
    const { dir } = await tempWal();
    const writer = await WalWriter.open(dir, { segmentBytes: 64 * 1024 });
    const sink = new KafkaSink([kafka.url], 'none', log);
    const relay = new LogRelay(dir, sink, config, createRelayMetrics(new Registry()), log);
    await relay.start();
    const events = await appendStream(writer, run, 1500, 40);
    const messages = ofRun(await readBack([kafka.url], TOPICS.events, allOf(run, events)), run);
    await relay.stop();
    await sink.close();
    await writer.close();

    expectAllDelivered(messages, events);
    expect(messages).toHaveLength(events.length); // no outage, no restart: no duplicates either
    const first = events[0];
    const message = messages.find((m) => m.headers['event-id'] === first.eventId)!;
    expect(message.headers).toMatchObject({ 'event-type': 'user.deleted', 'schema-version': String(SCHEMA_VERSION) });
    expect(message.headers.traceparent.split('-')[1]).toBe(TRACE_ID);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.wal')).length).toBeLessThanOrEqual(2); // acknowledged segments pruned
  });

  it('loses nothing while the broker is stopped and started again mid-stream', async () => {
    const run = `out${Date.now().toString(36)}`;
    const { dir } = await tempWal();
    const writer = await WalWriter.open(dir);
    const sink = new KafkaSink([kafka.url], 'none', log);
    const relay = new LogRelay(dir, sink, config, createRelayMetrics(new Registry()), log);
    await relay.start();
    const stream = appendStream(writer, run, 1200, 8, 10);
    await new Promise((r) => setTimeout(r, 300));
    await kafka.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await relay.updateBacklog();
    expect(relay.backlog).toBeGreaterThan(0);
    await kafka.start();
    const events = await stream;
    const messages = ofRun(await readBack([kafka.url], TOPICS.events, allOf(run, events)), run);
    await relay.stop();
    await sink.close();
    await writer.close();
    expectAllDelivered(messages, events);
  });

  it('loses nothing when the relay process is killed mid-stream and restarted, and resends nothing after SIGTERM', async () => {
    const run = `kil${Date.now().toString(36)}`;
    const { root, dir } = await tempWal();
    const writer = await WalWriter.open(dir);
    const port = await freePort();
    const env = { ...process.env, WAL_DIR: root, KAFKA_BROKERS: kafka.url, WAL_RELAY_PORT: String(port), OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'wal-relay', LOG_LEVEL: 'warn', RELAY_MAX_IN_FLIGHT: '2', RELAY_CHECKPOINT_INTERVAL: '20ms' };
    const startRelay = () => spawn(process.execPath, ['--import', 'tsx', '--import', './libs/tracing/src/register.ts', 'apps/wal-relay/src/main.ts'], { cwd: REPO, env, stdio: 'ignore' });
    const exited = (child: ChildProcess) => new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));

    let relay = startRelay();
    children.push(() => relay);
    const stream = appendStream(writer, run, 1500, 10, 8);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 700 + Math.random() * 700));
      const gone = exited(relay);
      relay.kill('SIGKILL');
      expect(await gone).toBe('SIGKILL');
      relay = startRelay();
    }
    const events = await stream;
    const messages = ofRun(await readBack([kafka.url], TOPICS.events, allOf(run, events)), run);
    expectAllDelivered(messages, events);
    expect(messages[0].headers.traceparent.split('-')[1]).toBe(TRACE_ID);

    // Graceful stop: the checkpoint covers everything sent, so a restart resends nothing. Wait until
    // the restarted process serves HTTP: a SIGTERM while node is still loading the modules (before
    // main.ts installs its handler) ends it by signal, with nothing sent and so nothing to resend.
    await untilServing(port);
    const stopped = exited(relay);
    relay.kill('SIGTERM');
    expect(await stopped).toBe(0);
    const extra = await appendStream(writer, `${run}x`, 20, 2);
    relay = startRelay();
    const after = await readBack([kafka.url], TOPICS.events, allOf(`${run}x`, extra));
    expectAllDelivered(ofRun(after, `${run}x`), extra);
    // Each lane sends in WAL order, so once every new record is in Kafka any resend of older ones
    // would already have been counted: the restarted relay published exactly the new records.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(/wal_relay_published_total\{topic="user\.events\.v1"[^}]*\} (\d+)/.exec(metrics)?.[1]).toBe(String(extra.length));
    const gone = exited(relay);
    relay.kill('SIGTERM');
    expect(await gone).toBe(0);
    await writer.close();
  });

  it('sends a record the broker refuses as too large to the dead-letter topic with the reason; its neighbours go through', async () => {
    const run = `dlq${Date.now().toString(36)}`;
    const { dir } = await tempWal();
    const writer = await WalWriter.open(dir);
    const before = createEvent('user.deleted', `${run}_a`, {});
    const after = createEvent('user.deleted', `${run}_b`, {});
    await writer.append(encodeEvent(before));
    await writer.append(Buffer.alloc(MAX_RECORD_BYTES, 'x')); // over the broker's message.max.bytes with any header
    await writer.append(encodeEvent(after));
    const sink = new KafkaSink([kafka.url], 'none', log);
    const metrics = createRelayMetrics(new Registry());
    const relay = new LogRelay(dir, sink, config, metrics, log);
    await relay.start();
    const dead = await readBack([kafka.url], TOPICS.deadLetter, (ms) => ms.some((m) => m.headers['dlq-source'] === 'wal:user-command' && m.value.length === 0 && m.headers['dlq-reason'].includes('MESSAGE_TOO_LARGE')));
    const events = ofRun(await readBack([kafka.url], TOPICS.events, allOf(run, [before, after])), run);
    await relay.stop();
    await sink.close();
    await writer.close();
    expectAllDelivered(events, [before, after]);
    const record = dead.find((m) => m.headers['dlq-reason']?.includes('MESSAGE_TOO_LARGE'))!;
    expect(record.headers['dlq-reason']).toMatch(/^invalid event/);
    expect((await metrics.deadLetters.get()).values[0].value).toBe(1);
  });

  it('recovers by itself from a broker frozen (SIGSTOP) for 20 s under traffic: nothing lost, /readyz red during, green after', async () => {
    const run = `frz${Date.now().toString(36)}`;
    const { root, dir } = await tempWal();
    const writer = await WalWriter.open(dir);
    const port = await freePort();
    const env = { ...process.env, WAL_DIR: root, KAFKA_BROKERS: kafka.url, WAL_RELAY_PORT: String(port), OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'wal-relay', LOG_LEVEL: 'warn', RELAY_MAX_IN_FLIGHT: '2', RELAY_RETRY_MAX: '2s' };
    const relay = spawn(process.execPath, ['--import', 'tsx', '--import', './libs/tracing/src/register.ts', 'apps/wal-relay/src/main.ts'], { cwd: REPO, env, stdio: 'ignore' });
    children.push(() => relay);
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => null))?.status ?? 0;
    const waitForStatus = async (path: string, wanted: number) => {
      for (let i = 0; i < 1200 && (await status(path)) !== wanted; i++) await new Promise((r) => setTimeout(r, 250));
      return status(path);
    };
    expect(await waitForStatus('/readyz', 200)).toBe(200);

    // Lane 1's producer first connects while the broker is frozen: its keys appear only then, while
    // lane 0 is idle (a busy lane 0 would hold the read-ahead window, delaying lane 1 past the thaw).
    // That is how any connection opened during a freeze (after an idle close, a restart, a new lane)
    // got stuck in "Broker not connected" for good.
    const keysOf = (lane: number) => Array.from({ length: 200 }, (_, i) => `${run}_k${i}`).filter((k) => laneOf(k, 2) === lane).slice(0, 3);
    const events: EventEnvelope[] = [];
    let streaming = true;
    let keys = keysOf(0);
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        if (keys.length) {
          const event = createEvent('user.deleted', keys[i % keys.length], {});
          await writer.append(encodeEvent(event));
          events.push(event);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 3000));
    keys = [];
    await new Promise((r) => setTimeout(r, 1000));
    await kafka.freeze();
    const freezeStarted = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    keys = keysOf(1);
    await new Promise((r) => setTimeout(r, 4000));
    keys = [...keysOf(0), ...keysOf(1)];
    const duringFreeze = new Set<number>();
    const healthDuringFreeze = new Set<number>();
    while (Date.now() < freezeStarted + 20_000) {
      duringFreeze.add(await status('/readyz'));
      healthDuringFreeze.add(await status('/healthz'));
      await new Promise((r) => setTimeout(r, 250));
    }
    await kafka.thaw();
    await new Promise((r) => setTimeout(r, 5000));
    streaming = false;
    await stream;
    const messages = ofRun(await readBack([kafka.url], TOPICS.events, allOf(run, events), 120_000), run);
    expectAllDelivered(messages, events);
    expect(new Set(messages.map((m) => laneOf(m.key, 2)))).toEqual(new Set([0, 1]));
    expect(duringFreeze).toContain(503);
    expect(healthDuringFreeze).toEqual(new Set([200])); // a frozen broker is no reason to restart the relay
    expect(await waitForStatus('/readyz', 200)).toBe(200);
    expect(relay.exitCode).toBeNull(); // the same process, never restarted
    const gone = new Promise((resolve) => relay.once('exit', resolve));
    relay.kill('SIGTERM');
    await gone;
    await writer.close();
  });
});
