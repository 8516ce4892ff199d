import type { Admin } from 'kafkajs';

/** What a consumer group has not committed yet on one partition. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The partition's end offset (high watermark). */
  end: number;
  /** null: the group never committed on this partition (its lag then counts from the low watermark). */
  committed: number | null;
  /** end − committed (or end − low): messages the group still has to get through. */
  lag: number;
}

/**
 * Per partition: end offset minus the group's committed offset. A group that never committed on a
 * partition starts from its low watermark (what is left after retention), never below zero.
 */
export function partitionLags(
  topic: string,
  ends: Array<{ partition: number; high: string; low: string }>,
  committed: Array<{ partition: number; offset: string }>,
): PartitionLag[] {
  return ends.map((end) => {
    const offset = Number(committed.find((c) => c.partition === end.partition)?.offset ?? -1);
    const from = offset < 0 ? Number(end.low) : offset;
    return { topic, partition: end.partition, end: Number(end.high), committed: offset < 0 ? null : offset, lag: Math.max(0, Number(end.high) - from) };
  });
}

/** The lag of `groupId` on every partition of `topic`, as Kafka has it now (committed offsets, not what a member holds in memory). */
export async function readGroupLag(admin: Admin, groupId: string, topic: string): Promise<PartitionLag[]> {
  const [ends, offsets] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  return partitionLags(topic, ends, offsets.find((o) => o.topic === topic)?.partitions ?? []);
}
