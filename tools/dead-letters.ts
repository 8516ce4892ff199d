// Lists, replays and discards dead letters of user-consumer (topic user.dlq.v1, plus the parked
// users the consumer keeps in PostgreSQL).
//
//   node --import tsx tools/dead-letters.ts list    [--event-id ID] [--username NAME] [--json]
//   node --import tsx tools/dead-letters.ts replay  (--all | --event-id ID | --username NAME)
//   node --import tsx tools/dead-letters.ts discard (--event-id ID | --username NAME)
//   (or: npm run dlq -- list ...)
//
// replay sends the dead letter to user.retry.v1 marked `retry-action: replay`; the consumer applies
// it (idempotent by event id, so replaying twice changes nothing) and then releases the user's
// parked events in order. discard tells the consumer to drop the event (recorded as processed with
// outcome "discarded", so a later replay is a no-op too) and release the parked events.
// Poison messages (unparsable, off-schema) are listed but cannot be replayed.
// Environment: KAFKA_BROKERS (127.0.0.1:9092), DATABASE_URL (parking state; optional).
// Exit codes: 0 ok, 1 failure, 2 bad usage or nothing matched.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createPrismaClient } from '@usersys/db';
import { flattenHeaders, HEADERS, readDeadLetter, RETRY_HEADERS, retryActionHeader, retryHeaders, TOPICS, withoutDeadLetterHeaders, type DeadLetterRecord, type Headers } from '@usersys/event-schema';
import { parseCli, usageError } from './cli';

/** A dead letter as the tool lists it: what its headers say (or the parking state), with its key and value. */
interface DeadLetter extends Omit<DeadLetterRecord, 'originalTopic'> {
  username: string | null;
  value: Buffer | null;
  headers: Headers;
  /** From PostgreSQL: the user is parked behind this event. */
  parked?: 'dead' | 'retrying';
  where: 'topic' | 'database' | 'both';
}

const USAGE = `usage: npm run dlq -- list    [--event-id ID] [--username NAME] [--json]
       npm run dlq -- replay  (--all | --event-id ID | --username NAME)
       npm run dlq -- discard (--event-id ID | --username NAME)
Dead letters of user-consumer: topic ${TOPICS.deadLetter} and the users parked behind them (PostgreSQL).
  list      print them (--json: as JSON)
  replay    send them back through ${TOPICS.retry}; applying is idempotent, replaying twice changes nothing
  discard   drop the event (recorded as processed, outcome "discarded") and release the parked events
Environment: KAFKA_BROKERS (127.0.0.1:9092), DATABASE_URL (parking state). See docs/operations.md.
Exit codes: 0 ok, 1 failure, 2 bad usage or nothing matched.`;
const usage = (problem: string): never => usageError('dead-letters', problem, USAGE);

async function readDeadLetterTopic(kafka: Kafka): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `dead-letters-tool-${randomUUID().slice(0, 8)}`;
  try {
    const offsets = await admin.fetchTopicOffsets(TOPICS.deadLetter);
    const pending = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high) - 1n]));
    const out: DeadLetter[] = [];
    if (pending.size === 0) return out;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPICS.deadLetter], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const headers = flattenHeaders(message.headers);
            let body: { eventId?: string; username?: string; type?: string } = {};
            try {
              body = JSON.parse(message.value?.toString() ?? '');
            } catch {
              // poison: not JSON
            }
            const { originalTopic: _topic, ...letter } = readDeadLetter(headers);
            out.push({
              ...letter,
              eventId: letter.eventId ?? body.eventId ?? null,
              username: message.key?.toString() ?? body.username ?? null,
              type: letter.type ?? body.type ?? null,
              value: message.value,
              headers,
              where: 'topic',
            });
            const last = pending.get(partition);
            if (last !== undefined && BigInt(message.offset) >= last) pending.delete(partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return out;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}

async function readParkedHeads(): Promise<DeadLetter[]> {
  const url = process.env.DATABASE_URL ?? 'postgresql://usersys:usersys@127.0.0.1:5432/usersys';
  const prisma = createPrismaClient({ databaseUrl: url, poolMax: 1, applicationName: 'dead-letters-tool' });
  try {
    const rows = await prisma.parkedUser.findMany({ orderBy: { parkedAt: 'asc' } });
    const queued = await prisma.parkedEvent.groupBy({ by: ['username'], _count: { _all: true } });
    const counts = new Map(queued.map((q) => [q.username, q._count._all]));
    return rows.map((r) => {
      // Parked payloads are bytea: the message value as the topic carried it, headers as UTF-8 JSON.
      const value = Buffer.from(r.headEvent);
      const headers = JSON.parse(Buffer.from(r.headHeaders).toString('utf8')) as Headers;
      let type: string | null = headers[HEADERS.eventType] ?? null;
      try {
        type ??= (JSON.parse(value.toString('utf8')) as { type?: string }).type ?? null;
      } catch {
        // not JSON: listed with its headers only
      }
      const behind = `${counts.get(r.username) ?? 0} event(s) parked behind it`;
      const why = r.reason === 'invalid_data' ? 'invalid data' : 'retries exhausted';
      return {
        eventId: r.headEventId,
        username: r.username,
        type,
        stage: 'write',
        reason: r.status === 'dead' ? `${why}; ${behind}` : `in retry; ${behind}`,
        error: r.lastError,
        attempts: r.attempts,
        at: r.updatedAt.toISOString(),
        source: headers[RETRY_HEADERS.origin] ?? null,
        value,
        headers,
        parked: r.status as 'dead' | 'retrying',
        where: 'database',
      };
    });
  } catch (err) {
    console.error(`dead-letters: parking state unavailable (${(err as Error).message.split('\n')[0]}); showing the topic only`);
    return [];
  } finally {
    await prisma.$disconnect();
  }
}

/** One entry per event id (the newest dead letter wins), merged with the parking state. */
function merge(topic: DeadLetter[], heads: DeadLetter[]): DeadLetter[] {
  const byId = new Map<string, DeadLetter>();
  const anonymous: DeadLetter[] = [];
  for (const d of topic) {
    if (d.eventId) byId.set(d.eventId, d);
    else anonymous.push(d);
  }
  for (const h of heads) {
    const t = h.eventId ? byId.get(h.eventId) : undefined;
    if (t) Object.assign(t, { parked: h.parked, where: 'both' });
    else if (h.parked === 'dead') byId.set(h.eventId!, h); // topic retention dropped it; the database still has it
  }
  return [...byId.values(), ...anonymous];
}

async function main(): Promise<void> {
  const { values, positionals } = parseCli(
    'dead-letters',
    USAGE,
    { 'event-id': { type: 'string' }, username: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } },
    true,
  );
  const command = positionals[0];
  if (!['list', 'replay', 'discard'].includes(command ?? '')) usage(command ? `unknown command "${command}"` : 'a command is needed');
  if (positionals.length > 1) usage(`unexpected argument "${positionals[1]}"`);
  if (command !== 'list' && !values.all && !values['event-id'] && !values.username) usage(`${command} needs --all, --event-id or --username`);
  if (command === 'discard' && values.all) usage('discard takes no --all: name the event or the user');

  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim());
  const kafka = new Kafka({ clientId: 'dead-letters-tool', brokers, logLevel: logLevel.NOTHING });
  const letters = merge(await readDeadLetterTopic(kafka), await readParkedHeads()).filter(
    (d) => (!values['event-id'] || d.eventId === values['event-id']) && (!values.username || d.username === values.username),
  );

  if (command === 'list') {
    if (values.json) console.log(JSON.stringify(letters.map(({ value: _v, ...d }) => d), null, 2));
    else {
      console.log(`${letters.length} dead letter(s)`);
      for (const d of letters) {
        console.log(`${d.eventId ?? '-'}  ${d.username ?? '-'}  ${d.type ?? '-'}  stage=${d.stage}  attempts=${d.attempts}  parked=${d.parked ?? 'no'}  at=${d.at ?? '-'}  ${d.reason}${d.error ? `: ${d.error}` : ''}`);
      }
    }
    return;
  }

  const replayable = letters.filter((d) => d.stage !== 'poison' && d.eventId && d.username);
  for (const d of letters.filter((l) => !replayable.includes(l))) console.error(`skipping ${d.eventId ?? d.source ?? '?'}: ${d.stage === 'poison' ? 'poison message, cannot be replayed' : 'no event id'}`);
  if (replayable.length === 0) {
    console.error('dead-letters: nothing to ' + command);
    process.exit(2);
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic: TOPICS.retry,
      acks: -1,
      messages: replayable.map((d) => {
        const headers: Headers = {
          ...withoutDeadLetterHeaders(d.headers),
          ...retryHeaders({ attempt: 1, notBefore: Date.now(), stage: d.stage === 'bookkeeping' ? 'bookkeeping' : 'write' }),
          ...retryActionHeader(command as 'replay' | 'discard'),
        };
        if (d.source && !headers[RETRY_HEADERS.origin]) headers[RETRY_HEADERS.origin] = d.source;
        return { key: d.username, value: d.value, headers };
      }),
    });
  } finally {
    await producer.disconnect();
  }
  for (const d of replayable) console.log(`${command === 'replay' ? 'replayed' : 'discarded'} ${d.eventId} (${d.username}, ${d.type ?? '?'})`);
}

main().catch((err: unknown) => {
  console.error(`dead-letters: ${(err as Error).message}`);
  process.exit(1);
});
