import { decodeEvent, eventHeaders, InvalidEventError, TOPICS } from '@usersys/event-schema';
import { context, extractTraceContext, injectTraceContext, SpanKind, trace, tracer, type Span } from '@usersys/tracing';
import type { WalRecord } from '@usersys/wal';
import type { OutgoingMessage } from './ports';

export interface PreparedMessage {
  message: OutgoingMessage;
  /** The record's relayPublish span (none for a record that goes straight to the dead-letter topic). */
  span: Span | null;
  /** Why it goes to the dead-letter topic, when it does. */
  deadLetterReason?: string;
}

export const DLQ_REASON_HEADER = 'dlq-reason';

/**
 * Turns WAL records into Kafka messages. Each event gets a PRODUCER span whose parent is the
 * request's trace context stored in the record, and that span's traceparent goes into the headers:
 * the send happens inside the stored context, so the consumer continues the request's trace. (The
 * kafkajs auto-instrumentation is deliberately not loaded: it would overwrite the header with the
 * relay's own active context, one for a whole batch.)
 */
export function prepareRecords(records: WalRecord[], logName: string): PreparedMessage[] {
  return records.map((record) => {
    let event;
    try {
      event = decodeEvent(record.payload);
    } catch (err) {
      // Never silently away: an unreadable record goes to the dead-letter topic with the reason.
      const reason = err instanceof InvalidEventError ? err.message : `invalid event: ${String(err)}`;
      return { message: deadLetter({ topic: TOPICS.events, key: 'unparsable', value: record.payload, headers: {} }, reason, logName), span: null, deadLetterReason: reason };
    }
    const span = tracer().startSpan(
      'relayPublish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': TOPICS.events,
          'messaging.kafka.message.key': event.username,
          'enduser.id': event.username,
          'event.id': event.eventId,
          'event.type': event.type,
        },
      },
      extractTraceContext(event.trace),
    );
    const injected = injectTraceContext(trace.setSpan(context.active(), span));
    // Without a tracing SDK (OTEL disabled) pass the request's own context through unchanged.
    const headers = eventHeaders(event, injected.traceparent ? injected : event.trace);
    return { message: { topic: TOPICS.events, key: event.username, value: record.payload, headers }, span };
  });
}

/** The dead-letter copy of a message: same key, value and headers, plus the reason and where it came from. */
export function deadLetter(message: OutgoingMessage, reason: string, logName: string): OutgoingMessage {
  return {
    topic: TOPICS.deadLetter,
    key: message.key,
    value: message.value,
    headers: { ...message.headers, [DLQ_REASON_HEADER]: reason.slice(0, 1000), 'dlq-source': `wal:${logName}`, 'dlq-original-topic': message.topic },
  };
}
