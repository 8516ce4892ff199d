import { decodeEvent, eventHeaders, InvalidEventError, TOPICS, type EventEnvelope } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { context, extractTraceContext, injectTraceContext, SpanKind, SpanStatusCode, trace, tracer, type Span } from '@usersys/tracing';
import { pruneSegments, readCheckpoint, WalReader, writeCheckpoint, type WalRecord } from '@usersys/wal';
import path from 'node:path';
import type { RelayConfig } from './config';
import type { RelayMetrics } from './relay-metrics';

export interface OutgoingMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** The Kafka side of the relay, as a port: resolves once every message is acknowledged by all in-sync replicas. */
export interface MessageSink {
  send(messages: OutgoingMessage[]): Promise<void>;
}

interface Prepared {
  messages: OutgoingMessage[];
  spans: Span[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Relays one WAL directory to Kafka: read a batch after the checkpoint, publish it, and only then
 * move the checkpoint. A batch that fails is retried with capped exponential backoff, forever:
 * nothing is dropped, and with Kafka down the backlog simply grows until Kafka returns.
 */
export class LogRelay {
  private readonly name: string;
  private reader!: WalReader;
  private scanner!: WalReader;
  private running = false;
  private loop: Promise<void> | null = null;
  private scanned = 0;
  private acked = 0;
  private inflightOldestMs: number | null = null;
  private lastWarnAt = 0;

  constructor(
    readonly dir: string,
    private readonly sink: MessageSink,
    private readonly config: RelayConfig,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
  ) {
    this.name = path.basename(dir);
  }

  async start(): Promise<void> {
    const checkpoint = await readCheckpoint(this.dir);
    this.reader = new WalReader(this.dir, checkpoint);
    this.scanner = new WalReader(this.dir, checkpoint);
    this.running = true;
    this.loop = this.run();
    this.log.info({ log: this.name, checkpoint }, 'relaying WAL');
  }

  /** Stops reading, lets the batch in flight finish (its checkpoint is written), then closes. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.reader.close();
    await this.scanner.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const records = await this.reader.read(this.config.batchMaxRecords, this.config.batchMaxBytes);
      if (records.length === 0) {
        await sleep(this.config.pollIntervalMs);
        continue;
      }
      this.inflightOldestMs = records[0].appendedAtMs;
      const delivered = await this.publishWithRetry(records);
      if (!delivered) return; // stopping: the checkpoint stays before this batch, which is resent on restart
      this.acked += records.length;
      this.inflightOldestMs = null;
      const end = records[records.length - 1].end;
      await writeCheckpoint(this.dir, end);
      if (this.config.pruneSegments) await pruneSegments(this.dir, end);
      const now = Date.now();
      for (const r of records) this.metrics.publishLatency.observe((now - r.appendedAtMs) / 1000);
    }
  }

  private async publishWithRetry(records: WalRecord[]): Promise<boolean> {
    let delay = this.config.retryInitialMs;
    for (let attempt = 1; ; attempt++) {
      const prepared = this.prepare(records);
      try {
        await this.sink.send(prepared.messages);
        for (const span of prepared.spans) span.end();
        for (const m of prepared.messages) this.metrics.published.inc({ topic: m.topic });
        if (attempt > 1) this.log.info({ log: this.name, attempt, records: records.length }, 'kafka send succeeded after retries');
        return true;
      } catch (err) {
        for (const span of prepared.spans) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          span.end();
        }
        this.metrics.sendFailures.inc();
        this.log.warn({ log: this.name, attempt, records: records.length, retry_in_ms: delay, err: (err as Error).message }, 'kafka send failed; will retry');
        if (!this.running) return false;
        await sleep(delay);
        if (!this.running) return false;
        delay = Math.min(delay * 2, this.config.retryMaxMs);
      }
    }
  }

  /**
   * One PRODUCER span per record, child of the request context stored in the WAL record, and its
   * traceparent in the message headers, so the consumer continues the same trace.
   */
  private prepare(records: WalRecord[]): Prepared {
    const messages: OutgoingMessage[] = [];
    const spans: Span[] = [];
    for (const record of records) {
      let event: EventEnvelope;
      try {
        event = decodeEvent(record.payload);
      } catch (err) {
        // Never silently away: an unreadable record goes to the dead-letter topic with the reason.
        const reason = err instanceof InvalidEventError ? err.message : String(err);
        messages.push({ topic: TOPICS.deadLetter, key: 'unparsable', value: record.payload, headers: { 'dlq-reason': reason, 'dlq-source': `wal:${this.name}` } });
        this.log.error({ log: this.name, reason }, 'invalid WAL record sent to dead-letter topic');
        continue;
      }
      const parent = extractTraceContext(event.trace);
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
        parent,
      );
      spans.push(span);
      const injected = injectTraceContext(trace.setSpan(context.active(), span));
      // Without a tracing SDK (OTEL disabled) pass the request's own context through unchanged.
      const headers = eventHeaders(event, injected.traceparent ? injected : event.trace);
      messages.push({ topic: TOPICS.events, key: event.username, value: record.payload, headers });
    }
    return { messages, spans };
  }

  /** Counts records appended since the last scan; backlog = appended − acknowledged. Called once a second. */
  async updateBacklog(): Promise<void> {
    for (;;) {
      const batch = await this.scanner.read(10_000, 4 * 1024 * 1024);
      if (batch.length === 0) break;
      this.scanned += batch.length;
    }
    const backlog = Math.max(0, this.scanned - this.acked);
    const ageMs = this.inflightOldestMs === null ? 0 : Date.now() - this.inflightOldestMs;
    this.metrics.backlog.set({ log: this.name }, backlog);
    this.metrics.oldestAge.set({ log: this.name }, ageMs / 1000);
    const now = Date.now();
    if ((backlog > this.config.backlogWarnRecords || ageMs > this.config.ageWarnMs) && now - this.lastWarnAt >= 5000) {
      this.lastWarnAt = now;
      this.log.warn({ log: this.name, backlog, oldest_age_seconds: Math.round(ageMs / 100) / 10 }, 'WAL backlog over threshold');
    }
  }

  get backlog(): number {
    return Math.max(0, this.scanned - this.acked);
  }
}
