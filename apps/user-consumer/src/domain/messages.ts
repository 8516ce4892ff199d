import { RETRY_HEADERS, type Headers } from '@usersys/event-schema';

// The wire contract (topics, event/retry/dead-letter headers, their reading and writing) is
// @usersys/event-schema's; this is how the consumer's domain holds a message.

/** A Kafka message as the domain sees it (headers flattened to strings). */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Headers;
}

export const sourceOf = (m: InboundMessage) => `${m.topic}/${m.partition}/${m.offset}`;

/** The headers an event keeps when it is re-sent or parked: its own, plus where it first came from. */
export function storedHeaders(msg: InboundMessage): Headers {
  const headers = { ...msg.headers };
  if (!headers[RETRY_HEADERS.origin] && msg.topic !== 'parked') headers[RETRY_HEADERS.origin] = sourceOf(msg);
  return headers;
}

/** The message as it is re-sent: same key and value bytes. */
export function outbound(msg: InboundMessage, headers: Headers = msg.headers): { key: string | null; value: Buffer | null; headers: Headers } {
  return { key: msg.key, value: msg.value, headers };
}

/** Short, single-line error text for headers and logs. */
export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const text = `${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`;
  // One line, no control characters, well-formed UTF-16: it goes into headers and a text column.
  return text
    .slice(0, 500)
    .replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
