// user-consumer benchmark: events persisted per second by the real consumer pipeline (Kafka fetch,
// schema validation, parking check, marker read, batched idempotent insert, Redis bookkeeping)
// against a baseline of raw Prisma createMany of the same rows in the same batch sizes and the same
// concurrency, measured in the same run; and consumer lag while a steady stream is produced.
//
//   node --import tsx bench/consumer.bench.ts [--events 6000] [--batch 100] [--reps 3] [--rate 800] [--seconds 10]
//
// A private Kafka broker (startPrivateKafka: the benchmark's tens of thousands of events must not end
// up in the shared topics, where every fresh consumer group would have to read them), the shared
// Redis and PostgreSQL server with a fresh database (createTestDatabase). --kafka HOST:PORT uses an
// already running broker instead.
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { createPrismaClient } from '@usersys/db';
import { createTestDatabase } from '@usersys/db-testing';
import { TOPICS, type EventEnvelope } from '@usersys/event-schema';
import { median, summarize } from '@usersys/load-suite';
import { createLogger } from '@usersys/logger';
import { readGroupLag } from '@usersys/service-kit';
import { startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import { connectProducer, createdEvent, produceEvents, startGroupsAtEnd, startTestConsumer, testConfig, uniqueName, waitFor } from '@usersys/user-consumer-testing';
import { CpuSampler, cpuFigures, infraProcesses, type CpuPerOp } from './lib/cpu';
import { writeResults, type Figure } from './lib/report';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '100' },
    reps: { type: 'string', default: '3' },
    rate: { type: 'string', default: '800' },
    seconds: { type: 'string', default: '10' },
    kafka: { type: 'string' },
  },
});
const N = Number(values.events);
const BATCH = Number(values.batch);
const REPS = Number(values.reps);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const PARTITIONS_CONCURRENCY = 6; // the consumer's default, and the baseline's
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = createLogger('user-consumer-bench', { level: 'silent' });

async function main(): Promise<void> {
  let privateKafka: PrivateService | undefined;
  if (!values.kafka) {
    console.log('starting a private Kafka broker …');
    privateKafka = await startPrivateKafka();
  }
  const BROKERS = [values.kafka ?? privateKafka!.url];
  const db = await createTestDatabase({ migrate: true });
  const prisma = createPrismaClient({ databaseUrl: db.url, poolMax: PARTITIONS_CONCURRENCY + 2, applicationName: 'bench' });
  const producer = await connectProducer(BROKERS);
  // CPU per event: this process (the consumer, or the baseline's inserts, runs in it), PostgreSQL with its backends, Redis, Kafka.
  const cpu = new CpuSampler([{ name: 'this process (consumer or baseline)', pid: process.pid }, ...infraProcesses({ databaseUrl: db.url, kafkaBrokers: BROKERS[0] }).filter((p) => p.name !== 'jaeger')]);
  const consumerCpu: CpuPerOp[] = [];
  const baselineCpu: CpuPerOp[] = [];
  const env = { KAFKA_BROKERS: BROKERS.join(','), DATABASE_URL: db.url, CONSUMER_WRITE_BATCH_MAX: String(BATCH), CONSUMER_PARTITIONS_CONCURRENCY: String(PARTITIONS_CONCURRENCY), CONSUMER_DB_POOL_MAX: String(PARTITIONS_CONCURRENCY + 2) };

  /** Persist rate from the database's own clock: events after the first statement / time to the last one. */
  async function rateOf(ids: string[]): Promise<number> {
    const [r] = await prisma.$queryRawUnsafe<Array<{ first: Date; last: Date; after_first: bigint }>>(
      `WITH mine AS (SELECT processed_at FROM processed_events WHERE event_id = ANY($1::uuid[]))
       SELECT min(processed_at) AS first, max(processed_at) AS last, count(*) FILTER (WHERE processed_at > (SELECT min(processed_at) FROM mine)) AS after_first FROM mine`,
      ids,
    );
    return Number(r.after_first) / ((r.last.getTime() - r.first.getTime()) / 1000);
  }

  async function consumerRun(): Promise<{ rate: number; meanBatch: number; cpu: CpuPerOp }> {
    const config = testConfig(env);
    await startGroupsAtEnd(config, BROKERS);
    const events = Array.from({ length: N }, () => createdEvent(uniqueName('bench'), { nickname: 'bench' }));
    for (let i = 0; i < events.length; i += 1000) await produceEvents(producer, events.slice(i, i + 1000));
    const [c0, t0] = [cpu.read(), performance.now()];
    const consumer = await startTestConsumer(config, { log });
    const ids = events.map((e) => e.eventId);
    await waitFor('all persisted', async () => (await prisma.processedEvent.count({ where: { eventId: { in: ids } } })) === N, 300_000, 100);
    const perEvent = cpu.perOp(c0, cpu.read(), performance.now() - t0, N);
    const metrics = await (await fetch(`http://127.0.0.1:${consumer.port}/metrics`)).text();
    await consumer.stop();
    const sum = Number(/user_consumer_write_batch_size_sum\{[^}]*\} (\S+)/.exec(metrics)?.[1]);
    const count = Number(/user_consumer_write_batch_size_count\{[^}]*\} (\S+)/.exec(metrics)?.[1]);
    return { rate: await rateOf(ids), meanBatch: sum / count, cpu: perEvent };
  }

  const pool = new pg.Pool({ connectionString: db.url, max: PARTITIONS_CONCURRENCY });
  const baselineRows = () =>
    Array.from({ length: N }, () => createdEvent(uniqueName('base'), { nickname: 'bench' }) as Extract<EventEnvelope, { type: 'user.created' }>).map((e) => ({
      username: e.username, email: e.payload.email, phone: e.payload.phone, passwordHash: e.payload.passwordHash, nickname: e.payload.nickname ?? null, role: e.payload.role, lastEventId: e.eventId, createdAt: new Date(e.occurredAt),
    }));
  type Row = ReturnType<typeof baselineRows>[number];
  /** Inserts the rows in chunks of `batch`, PARTITIONS_CONCURRENCY chunks in flight; rows/s. */
  async function timedChunks(batch: number, insert: (chunk: Row[]) => Promise<unknown>): Promise<number> {
    const rows = baselineRows();
    const chunks: Row[][] = [];
    for (let i = 0; i < rows.length; i += batch) chunks.push(rows.slice(i, i + batch));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PARTITIONS_CONCURRENCY }, async () => {
        while (next < chunks.length) await insert(chunks[next++]);
      }),
    );
    return N / ((performance.now() - started) / 1000);
  }
  // Two baselines, the faster one counts: Prisma's createMany, and a plain pg multi-row insert (unnest).
  const prismaCreateMany = (batch: number) => timedChunks(batch, (chunk) => prisma.user.createMany({ data: chunk }));
  const pgUnnest = (batch: number) =>
    timedChunks(batch, (chunk) =>
      pool.query(
        `INSERT INTO users (username, email, phone, password_hash, nickname, role, last_event_id, created_at, updated_at)
         SELECT u, e, p, h, n, 'user', id, c, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[]) AS t(u, e, p, h, n, id, c)`,
        [chunk.map((r) => r.username), chunk.map((r) => r.email), chunk.map((r) => r.phone), chunk.map((r) => r.passwordHash), chunk.map((r) => r.nickname), chunk.map((r) => r.lastEventId), chunk.map((r) => r.createdAt)],
      ),
    );
  const prismaRates: number[] = [];
  async function baselineRun(batch: number): Promise<number> {
    const a = await prismaCreateMany(batch);
    const [c0, t0] = [cpu.read(), performance.now()];
    const b = await pgUnnest(batch);
    baselineCpu.push(cpu.perOp(c0, cpu.read(), performance.now() - t0, N));
    console.log(`  baselines: prisma createMany ${a.toFixed(0)} rows/s, pg unnest insert ${b.toFixed(0)} rows/s`);
    prismaRates.push(a);
    return Math.max(a, b);
  }

  const consumerRates: number[] = [];
  const baselineRates: number[] = [];
  const batches: number[] = [];
  for (let rep = 0; rep <= REPS; rep++) {
    const c = await consumerRun();
    const b = await baselineRun(Math.max(1, Math.round(c.meanBatch)));
    console.log(`${rep === 0 ? 'warm-up' : `run ${rep}`}: consumer ${c.rate.toFixed(0)} events/s (mean batch ${c.meanBatch.toFixed(1)}), baseline ${b.toFixed(0)} rows/s`);
    if (rep === 0) {
      prismaRates.pop();
      baselineCpu.pop();
      process.stdout.write(`idle baseline: ${JSON.stringify(await cpu.measureIdle(3))} CPU-ms/s\n`);
      continue;
    }
    consumerCpu.push(c.cpu);
    consumerRates.push(c.rate);
    baselineRates.push(b);
    batches.push(c.meanBatch);
  }

  // Lag under a steady stream: RATE events/s for SECONDS s; lag = produced - committed, sampled every 250 ms.
  const lagSamples: number[] = [];
  const latencies: number[] = [];
  {
    const config = testConfig(env);
    await startGroupsAtEnd(config, BROKERS);
    const consumer = await startTestConsumer(config, { log });
    await sleep(3000); // group joined and first fetch done
    const admin = new Kafka({ clientId: 'bench-admin', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const sent: EventEnvelope[] = [];
    const producedAt = new Map<string, number>();
    let streaming = true;
    const sampler = (async () => {
      while (streaming) {
        lagSamples.push((await readGroupLag(admin, config.groupId, TOPICS.events)).reduce((sum, p) => sum + p.lag, 0));
        await sleep(250);
      }
    })();
    const tickMs = 50;
    const perTick = Math.max(1, Math.round((RATE * tickMs) / 1000));
    const end = Date.now() + SECONDS * 1000;
    while (Date.now() < end) {
      const t = Date.now();
      const batch = Array.from({ length: perTick }, () => createdEvent(uniqueName('lag')));
      await produceEvents(producer, batch);
      for (const e of batch) producedAt.set(e.eventId, t);
      sent.push(...batch);
      await sleep(Math.max(0, tickMs - (Date.now() - t)));
    }
    const ids = sent.map((e) => e.eventId);
    await waitFor('stream persisted', async () => (await prisma.processedEvent.count({ where: { eventId: { in: ids } } })) === ids.length, 120_000, 200);
    streaming = false;
    await sampler;
    const rows = await prisma.processedEvent.findMany({ where: { eventId: { in: ids } }, select: { eventId: true, processedAt: true } });
    for (const r of rows) latencies.push(r.processedAt.getTime() - producedAt.get(r.eventId)!);
    await admin.disconnect();
    await consumer.stop();
  }

  const c = median(consumerRates);
  const b = median(baselineRates);
  const figures: Figure[] = [
    {
      figure: `events persisted/s by the consumer, ${N} creates backlog, write batch ${BATCH} (mean ${median(batches).toFixed(0)}), ${PARTITIONS_CONCURRENCY} partitions`,
      unit: 'events/s',
      value: c,
      runs: consumerRates,
      baseline: { name: `raw insert (faster of Prisma createMany / pg unnest), same rows, batch = consumer's mean, ${PARTITIONS_CONCURRENCY} in flight`, value: b, runs: baselineRates },
      ratio: c / b,
      target: '>= 0.8 x baseline',
      pass: c / b >= 0.8,
    },
    {
      figure: 'same, against Prisma createMany alone (the ORM path the services use for bulk writes)',
      unit: 'events/s',
      value: c,
      runs: consumerRates,
      baseline: { name: `Prisma createMany, same rows and batch, ${PARTITIONS_CONCURRENCY} in flight`, value: median(prismaRates), runs: prismaRates },
      ratio: c / median(prismaRates),
      target: '>= 0.8 x baseline',
      pass: c / median(prismaRates) >= 0.8,
    },
    {
      figure: `consumer lag (messages) under a steady ${RATE} events/s for ${SECONDS}s, p95 of 250 ms samples`,
      unit: 'messages',
      value: summarize(lagSamples).p95,
      runs: lagSamples,
      target: `< ${RATE} (under 1 s of production)`,
      pass: summarize(lagSamples).p95 < RATE,
      lowerIsBetter: true,
    },
    {
      figure: `produce-to-persisted latency under ${RATE} events/s, p95 (p50 ${median(latencies).toFixed(0)} ms)`,
      unit: 'ms',
      value: summarize(latencies).p95,
      runs: [median(latencies), summarize(latencies).p95, summarize(latencies).p99],
      target: '< 1000 ms',
      pass: summarize(latencies).p95 < 1000,
      lowerIsBetter: true,
    },
  ];
  figures.splice(
    2,
    0,
    ...cpuFigures('consumer, per event persisted', consumerCpu, 'component in-process, private Kafka'),
    ...cpuFigures('raw pg unnest insert baseline, per row', baselineCpu, 'in-process pg.Pool, same rows and batches'),
  );
  writeResults('consumer', figures, { config: 'component in-process: the real consumer pipeline (startTestConsumer: userConsumerService), no tracing preload, logger silent, private Kafka', events: N, batch: BATCH, reps: REPS, rate: RATE, seconds: SECONDS, lagSamplesMax: Math.max(...lagSamples) });
  await producer.disconnect();
  await pool.end();
  await prisma.$disconnect();
  await db.drop();
  await privateKafka?.destroy();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
