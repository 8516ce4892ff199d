import { DLQ_HEADERS, HEADERS, type Headers } from './headers';
import type { RetryStage } from './retry';

/** poison: never applicable (unparsable, off-schema, refused by Kafka); otherwise the retry stage that gave up. */
export type DeadLetterStage = 'poison' | RetryStage;

/** What a producer says about a message it dead-letters; absent fields are not sent. */
export interface DeadLetterInfo {
  reason: string;
  stage?: DeadLetterStage;
  attempts?: number;
  error?: string;
  /** Where the message was read from: `topic/partition/offset`, or `wal:<log>` for wal-relay. */
  source?: string;
  /** ISO time it was dead-lettered. */
  at?: string;
  /** The topic it was meant for (wal-relay). */
  originalTopic?: string;
}

/** A dead letter as its headers describe it (tools/dead-letters.ts lists these). */
export interface DeadLetterRecord {
  eventId: string | null;
  type: string | null;
  stage: DeadLetterStage;
  reason: string;
  error: string | null;
  attempts: number;
  at: string | null;
  source: string | null;
  originalTopic: string | null;
}

/** The dead-letter headers added to a message's own. */
export function deadLetterHeaders(info: DeadLetterInfo): Headers {
  const headers: Headers = {};
  if (info.stage !== undefined) headers[DLQ_HEADERS.stage] = info.stage;
  headers[DLQ_HEADERS.reason] = info.reason;
  if (info.attempts !== undefined) headers[DLQ_HEADERS.attempts] = String(info.attempts);
  if (info.source !== undefined) headers[DLQ_HEADERS.source] = info.source;
  if (info.at !== undefined) headers[DLQ_HEADERS.at] = info.at;
  if (info.error) headers[DLQ_HEADERS.error] = info.error;
  if (info.originalTopic !== undefined) headers[DLQ_HEADERS.originalTopic] = info.originalTopic;
  return headers;
}

const STAGES: readonly string[] = ['poison', 'write', 'bookkeeping'] satisfies DeadLetterStage[];

/** Reads a dead letter's headers; no stage (wal-relay's dead letters carry none) reads as poison. */
export function readDeadLetter(headers: Headers): DeadLetterRecord {
  const stage = headers[DLQ_HEADERS.stage];
  return {
    eventId: headers[HEADERS.eventId] ?? null,
    type: headers[HEADERS.eventType] ?? null,
    stage: stage !== undefined && STAGES.includes(stage) ? (stage as DeadLetterStage) : 'poison',
    reason: headers[DLQ_HEADERS.reason] ?? '',
    error: headers[DLQ_HEADERS.error] ?? null,
    attempts: Number(headers[DLQ_HEADERS.attempts] ?? 0),
    at: headers[DLQ_HEADERS.at] ?? null,
    source: headers[DLQ_HEADERS.source] ?? null,
    originalTopic: headers[DLQ_HEADERS.originalTopic] ?? null,
  };
}

/** A dead letter's headers without the dead-letter ones (its retry headers stay: a bookkeeping replay needs them). */
export function withoutDeadLetterHeaders(headers: Headers): Headers {
  const dlq = new Set<string>(Object.values(DLQ_HEADERS));
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !dlq.has(k)));
}

