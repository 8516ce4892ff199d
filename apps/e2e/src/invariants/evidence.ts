import { HEADERS, TOPICS } from '@usersys/event-schema';
import { fetchTopicOffsetsWhenLed } from '@usersys/test-infra';
import { Kafka, logLevel } from 'kafkajs';
import { dbClient } from '../harness';
import { classify, type SentRequest } from './answers';
import type { AmbiguousReading, RequestReading, UserRow } from './verdict';

const TERMINAL = new Set(['applied', 'rejected', 'dead_lettered']);

/** `GET /v1/requests/{id}` on the gateway, as its client would read it. */
export async function readRequest(gateway: string, requestId: string): Promise<RequestReading> {
  try {
    const res = await fetch(`${gateway}/v1/requests/${requestId}`, { signal: AbortSignal.timeout(5000) });
    if (res.status === 404) return { kind: 'unknown' };
    if (res.status !== 200) return { kind: 'unreadable', why: `answered ${res.status}` };
    const body = (await res.json()) as { type: string; username: string; state: 'pending' | 'applied' | 'rejected' | 'dead_lettered'; reason?: string };
    return { kind: 'state', type: body.type, username: body.username, state: body.state, reason: body.reason };
  } catch (err) {
    return { kind: 'unreadable', why: (err as Error).message };
  }
}

/**
 * An ambiguous answer settles when its client can read one state through the user: a sign-up's
 * `/v1/users/{u}/state` is no longer pending (404 = nothing was written); an update's or delete's
 * user reads (200 or 404). Both as the admin: the state endpoint answers only the user or an admin,
 * and an ambiguous sign-up has no request id to follow.
 */
export async function readAmbiguous(gateway: string, adminToken: string, r: SentRequest): Promise<AmbiguousReading> {
  try {
    if (r.op === 'create') {
      const res = await fetch(`${gateway}/v1/users/${encodeURIComponent(r.username)}/state`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5000) });
      if (res.status === 404) return 'settled';
      if (res.status !== 200) return 'unreadable';
      return ((await res.json()) as { state: string }).state === 'pending' ? 'pending' : 'settled';
    }
    const res = await fetch(`${gateway}/v1/users/${encodeURIComponent(r.username)}`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5000) });
    return res.status === 200 || res.status === 404 ? 'settled' : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * Reads every accepted request's state and every ambiguous request's user until all are terminal
 * or `deadline` passes; what is not terminal by then is what the verdict calls stuck.
 */
export async function settle(gateway: string, adminToken: string, requests: SentRequest[], deadline: number): Promise<{ readings: Map<string, RequestReading>; ambiguous: Map<number, AmbiguousReading> }> {
  const readings = new Map<string, RequestReading>();
  const ambiguous = new Map<number, AmbiguousReading>();
  const accepted = requests.filter((r) => classify(r) === 'accepted' && r.requestId);
  const unclear = requests.filter((r) => classify(r) === 'ambiguous');
  for (;;) {
    const open = accepted.filter((r) => {
      const reading = readings.get(r.requestId!);
      return !(reading?.kind === 'state' && TERMINAL.has(reading.state));
    });
    const openUnclear = unclear.filter((r) => ambiguous.get(r.seq) !== 'settled');
    await eachLimited(open, 16, async (r) => void readings.set(r.requestId!, await readRequest(gateway, r.requestId!)));
    await eachLimited(openUnclear, 16, async (r) => void ambiguous.set(r.seq, await readAmbiguous(gateway, adminToken, r)));
    const stillOpen = open.some((r) => {
      const reading = readings.get(r.requestId!);
      return !(reading?.kind === 'state' && TERMINAL.has(reading.state));
    });
    if ((!stillOpen && openUnclear.every((r) => ambiguous.get(r.seq) === 'settled')) || Date.now() > deadline) return { readings, ambiguous };
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The users rows, applied creates per username and repeated event ids, straight from PostgreSQL. */
export async function readDatabase(databaseUrl: string): Promise<{ rows: UserRow[]; appliedCreates: Map<string, number>; repeatedEventIds: string[] }> {
  const db = dbClient(databaseUrl);
  try {
    const rows = await db.$queryRaw<UserRow[]>`SELECT username, email, nickname, state::text AS state FROM users`;
    const creates = await db.$queryRaw<{ username: string; n: bigint }[]>`
      SELECT username, count(*) AS n FROM processed_events WHERE event_type = 'user.created' AND outcome = 'applied' GROUP BY username`;
    const repeated = await db.$queryRaw<{ event_id: string }[]>`SELECT event_id::text FROM processed_events GROUP BY event_id HAVING count(*) > 1`;
    return { rows, appliedCreates: new Map(creates.map((c) => [c.username, Number(c.n)])), repeatedEventIds: repeated.map((r) => r.event_id) };
  } finally {
    await db.$disconnect();
  }
}

/** Every `event-id` header on user.events.v1, read from the beginning up to today's end. `brokers`: host:port, comma-separated. */
export async function readEventIds(brokers: string, timeoutMs = 60_000): Promise<Set<string>> {
  const kafka = new Kafka({ clientId: 'invariants-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await fetchTopicOffsetsWhenLed(admin, TOPICS.events)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  const ids = new Set<string>();
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  if (remaining.size === 0) return ids;
  const consumer = kafka.consumer({ groupId: `invariants-reader-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read only part of ${TOPICS.events} within ${timeoutMs / 1000}s; partitions left: ${[...remaining].join(',')}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const id = message.headers?.[HEADERS.eventId]?.toString();
          if (id) ids.add(id);
          if (Number(message.offset) + 1 >= (ends.get(partition) ?? 0)) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return ids;
}
