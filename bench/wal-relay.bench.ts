// WAL and wal-relay benchmark (issue 4). Run: node --import tsx bench/wal-relay.bench.ts
//
// 1. WAL appends/s and p99 latency with 64 concurrent appenders of ~600-byte events, against raw
//    batched write+fdatasync (64 records per sync) on the same disk, and one fsync per record.
// 2. Relay throughput (records/s from a WAL backlog to acknowledged by Kafka) against a raw
//    kafkajs sendBatch loop with the same settings (idempotent, acks=-1, same batch size and codec).
//
// Kafka: a private broker by default (the shared topic is read from the beginning by every e2e
// consumer group, so flooding it would slow everybody's tests); BENCH_KAFKA_BROKERS=127.0.0.1:9092
// uses an existing one. BENCH_TUNE=1 adds the in-flight / batch-size / compression sweep.
// 3. Relay latency from WAL append to Kafka ack at defaults under a steady paced load
//    (BENCH_LATENCY_RATE records/s for BENCH_LATENCY_SECONDS): the relay waits for new WAL data.
import { eventHeaders, TOPICS, type EventEnvelope } from '@usersys/event-schema';
import { median, percentile, summarize } from '@usersys/load-suite';
import { startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import { WalWriter } from '@usersys/wal';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { closeSync, fdatasyncSync, openSync, promises as fs, writeSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
// The relay's engine is driven in-process, through its test support, to measure it without HTTP or
// process start-up noise.
import { createRelayMetrics, KafkaSink, LogRelay, type LogRelayConfig, type RelayMetrics } from '@usersys/wal-relay-testing';
import { CpuSampler, cpuFigures, pidListeningOn, portOf, type CpuPerOp } from './lib/cpu';
import { writeResults, type Figure } from './lib/report';
import { benchEvent, frameLike } from './lib/wal-records';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const APPEND_MS = Number(process.env.BENCH_APPEND_MS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RELAY_RECORDS = Number(process.env.BENCH_RELAY_RECORDS ?? 20_000);
const TUNE = process.env.BENCH_TUNE === '1';
const ONLY = process.env.BENCH_ONLY; // 'wal' or 'relay' while developing
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 200);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 5);
const ROOT = path.resolve(__dirname, '../.data/bench-wal');
const log = pino({ level: 'silent' });

const RELAY_DEFAULTS: LogRelayConfig = {
  batchMaxRecords: 1000,
  batchMaxBytes: 1024 * 1024,
  lingerMs: 0,
  maxInFlight: 1,
  pollIntervalMs: 1000,
  retryInitialMs: 100,
  retryMaxMs: 10_000,
  readErrorPauseMs: 10_000,
  checkpointIntervalMs: 200,
  backlogWarnRecords: 1e9,
  ageWarnMs: 1e9,
  ackedSegments: 'delete',
};

async function freshDir(name: string): Promise<string> {
  const dir = path.join(ROOT, `${name}-${process.pid}-${Date.now()}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Repeats `run` REPS times after one discarded warm-up. */
async function repeat<T>(label: string, run: () => Promise<T>): Promise<T[]> {
  await run();
  const out: T[] = [];
  for (let i = 0; i < REPS; i++) {
    out.push(await run());
    process.stderr.write(`  ${label} #${i + 1}: ${JSON.stringify(out[i])}\n`);
  }
  return out;
}

// ---- WAL ------------------------------------------------------------------------------------

const records = Array.from({ length: 4096 }, (_, i) => benchEvent(i));

async function walAppends(): Promise<{ rate: number; p99Ms: number; recordsPerSync: number }> {
  const dir = await freshDir('wal');
  const writer = await WalWriter.open(dir);
  const latencies: number[] = [];
  let n = 0;
  const deadline = performance.now() + APPEND_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await writer.append(records[n++ % records.length]);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const batches = writer.batches;
  await writer.close();
  await fs.rm(dir, { recursive: true, force: true });
  return { rate: latencies.length / elapsed, p99Ms: summarize(latencies).p99, recordsPerSync: latencies.length / batches };
}

/** The ceiling: synchronous write + fdatasync of `perSync` ready-made frames, nothing else. */
async function rawWrites(perSync: number, ms: number): Promise<{ rate: number }> {
  const dir = await freshDir(`raw${perSync}`);
  const fd = openSync(path.join(dir, 'raw.log'), 'a');
  const batch = Buffer.concat(records.slice(0, perSync).map(frameLike));
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    writeSync(fd, batch);
    fdatasyncSync(fd);
    n += perSync;
  }
  const elapsed = (performance.now() - started) / 1000;
  closeSync(fd);
  await fs.rm(dir, { recursive: true, force: true });
  return { rate: n / elapsed };
}

// ---- relay ----------------------------------------------------------------------------------

interface RelaySettings {
  batch: number;
  lanes: number;
  compression: 'none' | 'gzip';
}

/** This process (the relay or the raw loop runs in it) and the Kafka broker: CPU per record of a timed section. */
let cpu: CpuSampler | undefined;

async function rawKafka(brokers: string[], s: RelaySettings): Promise<{ rate: number; cpu?: CpuPerOp }> {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const messages = Array.from({ length: RELAY_RECORDS }, (_, i) => {
    const event = JSON.parse(records[i % records.length].toString()) as EventEnvelope;
    return { key: event.username, value: records[i % records.length], headers: eventHeaders(event, event.trace) };
  });
  const [started, c0] = [performance.now(), cpu?.read()];
  for (let i = 0; i < messages.length; i += s.batch) {
    await producer.sendBatch({
      acks: -1,
      compression: s.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      topicMessages: [{ topic: TOPICS.events, messages: messages.slice(i, i + s.batch) }],
    });
  }
  const elapsed = performance.now() - started;
  const perRecord = cpu && c0 ? cpu.perOp(c0, cpu.read(), elapsed, RELAY_RECORDS) : undefined;
  await producer.disconnect();
  return { rate: RELAY_RECORDS / (elapsed / 1000), cpu: perRecord };
}

/** A backlog of RELAY_RECORDS in a fresh WAL, relayed until Kafka acknowledged all of it. */
async function relayDrain(brokers: string[], s: RelaySettings): Promise<{ rate: number; cpu?: CpuPerOp }> {
  const root = await freshDir('relay');
  const dir = path.join(root, 'user-command');
  const writer = await WalWriter.open(dir);
  for (let i = 0; i < RELAY_RECORDS; i += 1000) await Promise.all(records.slice(0, Math.min(1000, RELAY_RECORDS - i)).map((r) => writer.append(r)));
  await writer.close();
  const sink = new KafkaSink(brokers, s.compression, log, 'bench-relay');
  // Connect every lane's producer first: the raw loop's connect is not timed either.
  await Promise.all(Array.from({ length: s.lanes }, (_, lane) => sink.send([], lane)));
  const relay = new LogRelay(dir, sink, { ...RELAY_DEFAULTS, batchMaxRecords: s.batch, maxInFlight: s.lanes }, createRelayMetrics(new Registry()), log);
  const [started, c0] = [performance.now(), cpu?.read()];
  await relay.start();
  while (relay.acknowledged < RELAY_RECORDS) await new Promise((r) => setTimeout(r, 1));
  const elapsed = performance.now() - started;
  const perRecord = cpu && c0 ? cpu.perOp(c0, cpu.read(), elapsed, RELAY_RECORDS) : undefined;
  await relay.stop();
  await sink.close();
  await fs.rm(root, { recursive: true, force: true });
  return { rate: RELAY_RECORDS / (elapsed / 1000), cpu: perRecord };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Append→ack latency (ms, from the record's append time) of a relay at defaults while records arrive at a steady pace. */
async function relayLatency(brokers: string[], s: RelaySettings): Promise<{ p50Ms: number; p99Ms: number }> {
  const root = await freshDir('latency');
  const dir = path.join(root, 'user-command');
  const writer = await WalWriter.open(dir);
  const latencies: number[] = [];
  const metrics: RelayMetrics = { ...createRelayMetrics(new Registry()), publishLatency: { observe: (seconds: number) => latencies.push(seconds * 1000) } as unknown as RelayMetrics['publishLatency'] };
  const sink = new KafkaSink(brokers, s.compression, log, 'bench-relay-latency');
  await Promise.all(Array.from({ length: s.lanes }, (_, lane) => sink.send([], lane)));
  const relay = new LogRelay(dir, sink, { ...RELAY_DEFAULTS, batchMaxRecords: s.batch, maxInFlight: s.lanes }, metrics, log);
  await relay.start();
  const total = LATENCY_RATE * LATENCY_SECONDS;
  const appends: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    // Paced by schedule, not back to back: the relay sees records trickle in, as in production.
    const wait = started + (i * 1000) / LATENCY_RATE - performance.now();
    if (wait > 0) await sleep(wait);
    appends.push(writer.append(records[i % records.length]));
  }
  await Promise.all(appends);
  while (relay.acknowledged < total) await sleep(5);
  await relay.stop();
  await sink.close();
  await writer.close();
  await fs.rm(root, { recursive: true, force: true });
  return { p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

function figure(name: string, unit: string, runs: number[], extra: Partial<Figure> = {}): Figure {
  return { figure: name, unit, value: median(runs), runs, ...extra };
}

function versus(name: string, runs: number[], baselineName: string, baseline: number[], minRatio: number, target: string): Figure {
  const ratio = median(runs) / median(baseline);
  return figure(name, 'records/s', runs, { baseline: { name: baselineName, value: median(baseline), runs: baseline }, ratio, target, pass: ratio >= minRatio });
}

async function main() {
  await fs.mkdir(ROOT, { recursive: true });
  const figures: Figure[] = [];

  if (ONLY !== 'relay') await walPart(figures);
  if (ONLY !== 'wal') await relayPart(figures);
  writeResults('wal-relay', figures, { config: 'component in-process: WalWriter and LogRelay with their defaults, no tracing preload, private Kafka', concurrency: CONCURRENCY, recordBytes: records[0].length, appendMs: APPEND_MS, relayRecords: RELAY_RECORDS, repetitions: REPS });
}

async function walPart(figures: Figure[]) {
  process.stderr.write(`WAL: ${CONCURRENCY} concurrent appenders, ${records[0].length}-byte events, ${APPEND_MS} ms per run\n`);
  // Interleaved so both see the same disk conditions.
  const wal: Awaited<ReturnType<typeof walAppends>>[] = [];
  const raw: number[] = [];
  await walAppends();
  await rawWrites(CONCURRENCY, APPEND_MS / 4);
  for (let i = 0; i < REPS; i++) {
    wal.push(await walAppends());
    raw.push((await rawWrites(CONCURRENCY, APPEND_MS)).rate);
    process.stderr.write(`  wal #${i + 1}: ${JSON.stringify(wal[i])}  raw: ${raw[i].toFixed(0)}/s\n`);
  }
  const single = (await repeat('one fsync per record', () => rawWrites(1, APPEND_MS / 2))).map((r) => r.rate);
  figures.push(versus(`WAL appends/s, c=${CONCURRENCY}, group commit`, wal.map((w) => w.rate), `raw write+fdatasync, ${CONCURRENCY}/sync`, raw, 0.5, '>= 0.5 x raw batched'));
  figures.push(figure(`WAL append p99, c=${CONCURRENCY}`, 'ms', wal.map((w) => w.p99Ms), { lowerIsBetter: true }));
  figures.push(figure('WAL records per fdatasync (group size)', 'records', wal.map((w) => w.recordsPerSync)));
  figures.push(versus('one fsync per record (original design)', single, `raw write+fdatasync, ${CONCURRENCY}/sync`, raw, 0, 'comparison only'));
}

async function relayPart(figures: Figure[]) {

  let kafka: PrivateService | null = null;
  let brokers = process.env.BENCH_KAFKA_BROKERS?.split(',');
  if (!brokers) {
    process.stderr.write('starting a private Kafka broker…\n');
    kafka = await startPrivateKafka();
    brokers = [kafka.url];
  }
  try {
    const base: RelaySettings = { batch: 1000, lanes: 1, compression: 'none' };
    process.stderr.write(`relay: ${RELAY_RECORDS} records per run, batch ${base.batch}, codec ${base.compression}\n`);
    const rawRuns: number[] = [];
    const sameRuns: number[] = [];
    const defaultRuns: number[] = [];
    const defaults: RelaySettings = { ...base, lanes: 2 }; // the relay's defaults (RELAY_MAX_IN_FLIGHT=2)
    const kafkaPid = pidListeningOn(portOf(brokers[0], 9092));
    cpu = new CpuSampler([{ name: 'this process (relay or raw loop)', pid: process.pid }, ...(kafkaPid ? [{ name: 'kafka', pid: kafkaPid }] : [])]);
    await rawKafka(brokers, base);
    await relayDrain(brokers, base);
    await relayDrain(brokers, defaults);
    await cpu.measureIdle(2);
    const rawCpu: CpuPerOp[] = [];
    const defaultCpu: CpuPerOp[] = [];
    for (let i = 0; i < REPS; i++) {
      const raw = await rawKafka(brokers, base);
      rawRuns.push(raw.rate);
      sameRuns.push((await relayDrain(brokers, base)).rate);
      const relayed = await relayDrain(brokers, defaults);
      defaultRuns.push(relayed.rate);
      if (raw.cpu) rawCpu.push(raw.cpu);
      if (relayed.cpu) defaultCpu.push(relayed.cpu);
      process.stderr.write(`  raw ${rawRuns[i].toFixed(0)}/s  relay 1 lane ${sameRuns[i].toFixed(0)}/s  relay defaults ${defaultRuns[i].toFixed(0)}/s\n`);
    }
    figures.push(versus(`relay WAL→Kafka ack, 1 lane (exactly the raw loop's settings)`, sameRuns, 'raw kafkajs sendBatch loop', rawRuns, 0.8, '>= 0.8 x raw sendBatch'));
    figures.push(versus(`relay WAL→Kafka ack, defaults (batch ${defaults.batch}, ${defaults.lanes} lanes, ${defaults.compression})`, defaultRuns, 'raw kafkajs sendBatch loop', rawRuns, 0.9, '>= 0.9 x raw sendBatch'));
    figures.push(...cpuFigures('relay at defaults, per record', defaultCpu, 'component in-process, private Kafka'), ...cpuFigures('raw sendBatch loop, per record', rawCpu, 'component in-process, private Kafka'));

    if (TUNE) {
      // How the defaults were chosen (apps/wal-relay/README.md).
      for (const s of [
        { batch: 1000, lanes: 4, compression: 'none' },
        { batch: 250, lanes: 2, compression: 'none' },
        { batch: 2000, lanes: 2, compression: 'none' },
        { batch: 1000, lanes: 2, compression: 'gzip' },
      ] as RelaySettings[]) {
        const runs = (await repeat(`relay ${JSON.stringify(s)}`, () => relayDrain(brokers, s))).map((r) => r.rate);
        figures.push(versus(`tuning: relay batch ${s.batch}, ${s.lanes} lanes, ${s.compression}`, runs, 'raw kafkajs sendBatch loop', rawRuns, 0, 'tuning'));
      }
    }

    process.stderr.write(`relay latency: ${LATENCY_RATE} records/s for ${LATENCY_SECONDS} s, defaults\n`);
    const latency = await repeat('relay latency', () => relayLatency(brokers, defaults));
    figures.push(figure(`relay append→ack p99 at ${LATENCY_RATE} records/s, defaults`, 'ms', latency.map((l) => l.p99Ms), { lowerIsBetter: true }));
    figures.push(figure(`relay append→ack p50 at ${LATENCY_RATE} records/s, defaults`, 'ms', latency.map((l) => l.p50Ms), { lowerIsBetter: true }));
  } finally {
    await kafka?.destroy();
    await fs.rm(ROOT, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
