import type { ICustomPartitioner, Message, RecordMetadata, TopicMessages } from 'kafkajs';

/*
 * Why this exists: kafkajs 2.2.4 can resolve a send that never sent some of its records.
 * src/producer/sendMessages.js keeps one response per broker across its retries and, on a retry,
 * sends only to brokers without a response. When a partition's leader moved (a broker died or came
 * back) to a broker that already answered an earlier attempt of the same call, that partition's
 * records are regrouped under the answered broker and skipped: the call resolves, the records are
 * not in Kafka (kafkajs issue #1303; the fix, PR #1798, is unreleased). The cluster fault suite lost
 * accepted sign-ups this way when a broker was killed under load.
 *
 * The ledger notes which partition kafkajs' partitioner chose for each record, and after a send
 * names the records whose partition is missing from the acknowledgement, so the producer sends
 * them again (ReconnectingProducer in kafka-client.ts).
 */
export class PartitionLedger {
  private readonly chosen = new WeakMap<Message, number>();

  /** Wraps a partitioner factory so that every choice it makes is noted. */
  recording(create: ICustomPartitioner): ICustomPartitioner {
    return () => {
      const partitioner = create();
      return (args) => {
        const partition = partitioner(args);
        this.chosen.set(args.message, partition);
        return partition;
      };
    };
  }

  /** The records of `sent` whose partition (as last chosen) has no acknowledgement in `acknowledged`. */
  unacknowledged(sent: TopicMessages[], acknowledged: RecordMetadata[]): TopicMessages[] {
    const acked = new Set(acknowledged.map((m) => `${m.topicName}\0${m.partition}`));
    const missing: TopicMessages[] = [];
    for (const { topic, messages } of sent) {
      const left = messages.filter((m) => {
        const partition = this.chosen.get(m);
        // A record the partitioner never saw was never grouped for sending at all.
        return partition === undefined || !acked.has(`${topic}\0${partition}`);
      });
      if (left.length > 0) missing.push({ topic, messages: left });
    }
    return missing;
  }

  /** `topic[partition]` of each record in `batch`, for logs. */
  describe(batch: TopicMessages[]): string {
    const names = new Set<string>();
    for (const { topic, messages } of batch) for (const m of messages) names.add(`${topic}[${this.chosen.get(m) ?? '?'}]`);
    return [...names].join(', ');
  }
}
