import { contractHeaders, deadLetterHeaders, retryHeaders, TOPICS, type DeadLetterStage, type RetryMeta } from '@usersys/event-schema';
import type { ReconnectingProducer } from '@usersys/service-kit';
import type { OutboundMessage, Republisher } from '../domain/ports';

/**
 * Sends to user.retry.v1 / user.dlq.v1 with acks from all in-sync replicas (idempotent producer,
 * rebuilt by service-kit when its connection stops answering; a failed send throws to the caller).
 */
export class KafkaRepublisher implements Republisher {
  constructor(private readonly producer: ReconnectingProducer) {}

  async retry(message: OutboundMessage, meta: RetryMeta & { error: string }): Promise<void> {
    const headers = { ...contractHeaders(message.headers), ...retryHeaders(meta) };
    await this.producer.send({ topic: TOPICS.retry, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  }

  async deadLetter(message: OutboundMessage, info: { stage: DeadLetterStage; reason: string; error?: string; attempts: number; source: string; extraHeaders?: Record<string, string> }): Promise<void> {
    const headers = { ...contractHeaders(message.headers), ...deadLetterHeaders({ ...info, at: new Date().toISOString() }), ...info.extraHeaders };
    await this.producer.send({ topic: TOPICS.deadLetter, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  }
}
