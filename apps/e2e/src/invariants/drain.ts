import { TOPICS } from '@usersys/event-schema';
import { fetchTopicOffsetsWhenLed } from '@usersys/test-infra';
import { partitionLags, type PartitionLag } from '@usersys/service-kit';
import { Kafka, logLevel, type Admin } from 'kafkajs';

/** Sum of `kafka_producer_wal_backlog` over every log on the relay's /metrics; null when unreadable. */
export async function relayBacklog(relayUrl: string): Promise<number | null> {
  try {
    const res = await fetch(`${relayUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return null;
    const lines = (await res.text()).split('\n').filter((l) => l.startsWith('kafka_producer_wal_backlog'));
    if (lines.length === 0) return null;
    return lines.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  } catch {
    return null;
  }
}

/** Per partition of `topic`, what `group` has not committed yet (service-kit's partitionLags); null when unreadable. */
async function groupLag(admin: Admin, group: string, topic: string): Promise<PartitionLag[] | null> {
  try {
    // Waits out a partition without a leader (a broker fault just happened) instead of failing the reading.
    const ends = await fetchTopicOffsetsWhenLed(admin, topic, 5000);
    const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
    return partitionLags(topic, ends, committed);
  } catch {
    return null;
  }
}

/** The consumer's two groups: `<groupId>` on user.events.v1, `<groupId>-retry` on user.retry.v1. */
export interface ConsumerLag {
  events: PartitionLag[] | null;
  retry: PartitionLag[] | null;
}

/** Messages of user.events.v1 and user.retry.v1 not yet committed by the consumer's groups, per partition. `brokers`: host:port, comma-separated. */
export async function consumerLag(brokers: string, groupId: string): Promise<ConsumerLag> {
  const admin = new Kafka({ clientId: 'invariants-lag', brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    return { events: await groupLag(admin, groupId, TOPICS.events), retry: await groupLag(admin, `${groupId}-retry`, TOPICS.retry) };
  } catch {
    return { events: null, retry: null };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface DrainReading extends ConsumerLag {
  relayBacklog: number | null;
}

const total = (lags: PartitionLag[]) => lags.reduce((sum, p) => sum + p.lag, 0);

export function isDrained(r: DrainReading): boolean {
  return r.relayBacklog === 0 && r.events !== null && total(r.events) === 0 && r.retry !== null && total(r.retry) === 0;
}

/** Names each part that is not drained (or could not be read), with the partitions that lag. */
export function describeUndrained(r: DrainReading): string {
  const parts: string[] = [];
  if (r.relayBacklog !== 0) parts.push(r.relayBacklog === null ? 'relay backlog unreadable' : `relay backlog ${r.relayBacklog}`);
  for (const [what, lags] of [
    [`${TOPICS.events} lag`, r.events],
    [`${TOPICS.retry} lag (group -retry)`, r.retry],
  ] as const) {
    if (lags === null) parts.push(`${what} unreadable`);
    else if (total(lags) > 0) {
      const partitions = lags.filter((p) => p.lag > 0).map((p) => `p${p.partition}: ${p.lag} (end ${p.end}, committed ${p.committed ?? 'never'})`);
      parts.push(`${what} ${total(lags)} [${partitions.join(', ')}]`);
    }
  }
  return parts.length ? parts.join('; ') : 'drained';
}

export interface DrainResult {
  /** Milliseconds from `since` until everything was drained at once; null when not within the bound. */
  ms: number | null;
  /** When not drained: what was left at the last reading (which part, which partitions). */
  left: string | null;
}

/** Sum of the backlogs of several relays (one per command replica); null when any is unreadable. */
export async function relaysBacklog(relayUrls: string[]): Promise<number | null> {
  const backlogs = await Promise.all(relayUrls.map(relayBacklog));
  return backlogs.some((b) => b === null) ? null : backlogs.reduce<number>((sum, b) => sum + b!, 0);
}

/** Watches from `since` until the backlog of every relay and both consumer groups' lag are 0 at once, at most `boundMs`. */
export async function timeToDrain(relayUrls: string | string[], brokers: string, groupId: string, since: number, boundMs: number): Promise<DrainResult> {
  let left = 'never read';
  const relays = typeof relayUrls === 'string' ? [relayUrls] : relayUrls;
  while (Date.now() - since < boundMs) {
    const [backlog, lag] = await Promise.all([relaysBacklog(relays), consumerLag(brokers, groupId)]);
    const reading = { relayBacklog: backlog, ...lag };
    if (isDrained(reading)) return { ms: Date.now() - since, left: null };
    left = describeUndrained(reading);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { ms: null, left };
}
