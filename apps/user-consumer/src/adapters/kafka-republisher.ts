import { TOPICS } from '@usersys/event-schema';
import type { ReconnectingProducer } from '@usersys/service-kit';
import { contractHeaders, DLQ_HEADERS, RETRY_HEADERS, type DeadLetterStage, type RetryMeta } from '../domain/messages';
import type { OutboundMessage, Republisher } from '../domain/ports';

/**
 * Sends to user.retry.v1 / user.dlq.v1 with acks from all in-sync replicas (idempotent producer,
 * rebuilt by service-kit when its connection stops answering; a failed send throws to the caller).
 */
export class KafkaRepublisher implements Republisher {
  constructor(private readonly producer: ReconnectingProducer) {}

  async retry(message: OutboundMessage, meta: RetryMeta & { error: string }): Promise<void> {
    const headers: Record<string, string> = {
      ...contractHeaders(message.headers),
      [RETRY_HEADERS.attempt]: String(meta.attempt),
      [RETRY_HEADERS.notBefore]: String(meta.notBefore),
      [RETRY_HEADERS.stage]: meta.stage,
      [RETRY_HEADERS.error]: meta.error,
    };
    if (meta.outcome) headers[RETRY_HEADERS.outcome] = meta.outcome;
    if (meta.field) headers[RETRY_HEADERS.field] = meta.field;
    await this.producer.send({ topic: TOPICS.retry, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  }

  async deadLetter(message: OutboundMessage, info: { stage: DeadLetterStage; reason: string; error?: string; attempts: number; source: string; extraHeaders?: Record<string, string> }): Promise<void> {
    const headers: Record<string, string> = {
      ...contractHeaders(message.headers),
      [DLQ_HEADERS.stage]: info.stage,
      [DLQ_HEADERS.reason]: info.reason,
      [DLQ_HEADERS.attempts]: String(info.attempts),
      [DLQ_HEADERS.source]: info.source,
      [DLQ_HEADERS.at]: new Date().toISOString(),
    };
    if (info.error) headers[DLQ_HEADERS.error] = info.error;
    Object.assign(headers, info.extraHeaders ?? {});
    await this.producer.send({ topic: TOPICS.deadLetter, acks: -1, messages: [{ key: message.key, value: message.value, headers }] });
  }
}
