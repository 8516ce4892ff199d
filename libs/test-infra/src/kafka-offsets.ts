import { doublingDelayMs } from '@usersys/service-kit';
import type { Admin } from 'kafkajs';

export interface TopicOffset {
  partition: number;
  offset: string;
  high: string;
  low: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Retries `fn` with doubling back-off (100 ms … 2 s) until it returns or `timeoutMs` has passed,
 * then throws the last error with `what` in front.
 */
async function retrying<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = doublingDelayMs(attempt, { baseMs: 100, maxMs: 2000 });
      if (Date.now() + delay > deadline) throw new Error(`${what} (gave up after ${Math.round(timeoutMs / 1000)} s): ${(err as Error).message}`);
      await sleep(delay);
    }
  }
}

/**
 * Resolves once every partition of every topic has an elected leader. A topic that was just
 * created (a fresh private broker, or `createTopics` without waiting) has partitions without one
 * for a moment; reading offsets then fails with "This server is not the leader for that
 * topic-partition".
 */
export async function waitForPartitionLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  await retrying(`partition leaders of ${topics.join(', ')}`, timeoutMs, async () => {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    const leaderless = metadata.flatMap((t) => (t.partitions.length === 0 ? [`${t.name} (no partitions)`] : t.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0).map((p) => `${t.name}/${p.partitionId}`)));
    if (metadata.length < topics.length) leaderless.push('topic metadata missing');
    if (leaderless.length > 0) throw new Error(`no leader yet for ${leaderless.join(', ')}`);
  });
}

/** `admin.fetchTopicOffsets` once every partition of the topic has a leader (bounded retries). */
export async function fetchTopicOffsetsWhenLed(admin: Admin, topic: string, timeoutMs = 60_000): Promise<TopicOffset[]> {
  await waitForPartitionLeaders(admin, [topic], timeoutMs);
  return retrying(`offsets of ${topic}`, timeoutMs, () => admin.fetchTopicOffsets(topic));
}
