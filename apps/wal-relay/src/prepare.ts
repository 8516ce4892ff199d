import { deadLetterHeaders, decodeWalRecord, eventHeaders, InvalidEventError, loginAuditHeaders, TOPICS, WAL_KIND_BYTES, type TraceCarrier, type WalEntry } from '@usersys/event-schema';
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

/** Where a record goes and what it says, by kind (the WAL record format is in libs/event-schema/src/wal-record.ts). */
function route(entry: WalEntry, payload: Buffer): { topic: string; key: string; value: Buffer; trace: TraceCarrier; headers: (t: TraceCarrier) => Record<string, string>; attributes: Record<string, string> } {
  if (entry.kind === 'user-event') {
    const { event } = entry;
    // The envelope is the whole payload: sent byte for byte.
    return { topic: TOPICS.events, key: event.username, value: payload, trace: event.trace, headers: (t) => eventHeaders(event, t), attributes: { 'event.id': event.eventId, 'event.type': event.type } };
  }
  const { record } = entry;
  // The value is the bare record, exactly what user-consumer's login-audit sink decodes.
  return { topic: TOPICS.loginAudit, key: record.username, value: Buffer.from(JSON.stringify(record)), trace: entry.trace, headers: (t) => loginAuditHeaders(record, t), attributes: { 'event.id': record.auditId } };
}

/**
 * Turns WAL records into Kafka messages, routed by the record's kind: a user event to
 * `user.events.v1`, a login-audit record to `user.login-audit.v1`. Each gets a PRODUCER span whose
 * parent is the request's trace context stored in the record, and that span's traceparent goes
 * into the headers: the send happens inside the stored context, so the consumer continues the
 * request's trace. (The kafkajs auto-instrumentation is deliberately not loaded: it would overwrite
 * the header with the relay's own active context, one for a whole batch.)
 */
export function prepareRecords(records: WalRecord[], logName: string): PreparedMessage[] {
  return records.map((record) => {
    let entry: WalEntry;
    try {
      entry = decodeWalRecord(record.payload);
    } catch (err) {
      // Never silently away: an unreadable record goes to the dead-letter topic with the reason.
      const reason = err instanceof InvalidEventError ? err.message : `invalid event: ${String(err)}`;
      const topic = record.payload[0] === WAL_KIND_BYTES.loginAudit ? TOPICS.loginAudit : TOPICS.events;
      return { message: deadLetter({ topic, key: 'unparsable', value: record.payload, headers: {} }, reason, logName), span: null, deadLetterReason: reason };
    }
    const { topic, key, value, trace: stored, headers, attributes } = route(entry, record.payload);
    const span = tracer().startSpan(
      'relayPublish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic,
          'messaging.kafka.message.key': key,
          'enduser.id': key,
          ...attributes,
        },
      },
      extractTraceContext(stored),
    );
    const injected = injectTraceContext(trace.setSpan(context.active(), span));
    // Without a tracing SDK (OTEL disabled) pass the request's own context through unchanged.
    return { message: { topic, key, value, headers: headers(injected.traceparent ? injected : stored) }, span };
  });
}

/** The dead-letter copy of a message: same key, value and headers, plus the reason and where it came from. */
export function deadLetter(message: OutgoingMessage, reason: string, logName: string): OutgoingMessage {
  return {
    topic: TOPICS.deadLetter,
    key: message.key,
    value: message.value,
    headers: { ...message.headers, ...deadLetterHeaders({ reason: reason.slice(0, 1000), source: `wal:${logName}`, originalTopic: message.topic }) },
  };
}
