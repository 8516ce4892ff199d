import { TOPICS } from '@usersys/event-schema';
import { fetchTopicOffsetsWhenLed } from '@usersys/test-infra';
import { Kafka, logLevel } from 'kafkajs';

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

/**
 * Messages of user.events.v1 and user.retry.v1 not yet committed by the consumer's groups, summed
 * over partitions (a partition never committed counts from its low watermark); null when unreadable.
 */
export async function consumerLag(brokers: string, groupId: string): Promise<number | null> {
  const admin = new Kafka({ clientId: 'invariants-lag', brokers: [brokers], logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    let lag = 0;
    for (const [group, topic] of [[groupId, TOPICS.events], [`${groupId}-retry`, TOPICS.retry]] as const) {
      const ends = await fetchTopicOffsetsWhenLed(admin, topic, 5000);
      const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
      for (const end of ends) {
        const offset = Number(committed.find((c) => c.partition === end.partition)?.offset ?? -1);
        lag += Number(end.high) - (offset < 0 ? Number(end.low) : offset);
      }
    }
    return lag;
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Milliseconds from `since` until the relay backlog and the consumer lag are both 0 at once;
 * null when that did not happen within `boundMs`.
 */
export async function timeToDrain(relayUrl: string, brokers: string, groupId: string, since: number, boundMs: number): Promise<number | null> {
  while (Date.now() - since < boundMs) {
    const [backlog, lag] = await Promise.all([relayBacklog(relayUrl), consumerLag(brokers, groupId)]);
    if (backlog === 0 && lag === 0) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return null;
}
