import type { EventEnvelope } from './envelope';

/** Topic names and message headers are part of the external contract (CONTRACT.md, "Kafka"). */
export const TOPICS = {
  events: 'user.events.v1',
  retry: 'user.retry.v1',
  deadLetter: 'user.dlq.v1',
  loginAudit: 'user.login-audit.v1',
} as const;

export const HEADERS = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
} as const;

/** Headers every event message carries; `traceparent` is passed in by the sender's span. */
export function eventHeaders(event: EventEnvelope, trace: { traceparent?: string; tracestate?: string }): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.eventId]: event.eventId,
    [HEADERS.eventType]: event.type,
    [HEADERS.schemaVersion]: String(event.schemaVersion),
  };
  if (trace.traceparent) headers[HEADERS.traceparent] = trace.traceparent;
  if (trace.tracestate) headers[HEADERS.tracestate] = trace.tracestate;
  return headers;
}
