import { DLQ_HEADERS, HEADERS, TOPICS } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { doublingDelayMs, WakeableSleeper } from '@usersys/service-kit';
import { SpanStatusCode } from '@usersys/tracing';
import type { Chunk } from './ack-tracker';
import type { RelayConfig } from './config';
import { deadLetter, type PreparedMessage } from './prepare';
import { RejectedRecordsError, type MessageSink, type OutgoingMessage } from './ports';
import type { RelayMetrics } from './relay-metrics';

/** The messages of one chunk that hash to one lane. */
export interface LanePart {
  chunk: Chunk;
  prepared: PreparedMessage[];
}

export interface LaneDeps {
  sink: MessageSink;
  config: Pick<RelayConfig, 'retryInitialMs' | 'retryMaxMs'>;
  metrics: RelayMetrics;
  log: Logger;
  logName: string;
  onPartDone(part: LanePart): void;
}

/**
 * One sequential sender: parts go out strictly in the order they were queued, each retried with
 * capped exponential backoff until Kafka acknowledges it. A key always maps to the same lane, so
 * per-key order holds while several lanes are in flight together.
 */
export class Lane {
  private readonly queue: LanePart[] = [];
  /** The run loop sleeps here while the queue is empty or between retries; enqueue and stop wake it. */
  private readonly sleeper = new WakeableSleeper();
  private running = true;
  private loop: Promise<void> | null = null;
  /** Since when sends on this lane have been failing (null while healthy). */
  failingSince: number | null = null;
  lastError: string | null = null;

  constructor(
    readonly index: number,
    private readonly deps: LaneDeps,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  enqueue(part: LanePart): void {
    this.queue.push(part);
    this.sleeper.wake();
  }

  /** Lets the send in flight finish (or fail once more), abandons what is queued: it lies after the checkpoint. */
  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    await this.loop;
    for (const part of this.queue.splice(0)) endSpans(part.prepared, 'relay stopped before sending; resent after restart');
  }

  private async run(): Promise<void> {
    while (this.running) {
      const part = this.queue.shift();
      if (!part) {
        await this.sleeper.sleep();
        continue;
      }
      if (!(await this.deliver(part.prepared.map((p) => p.message)))) {
        endSpans(part.prepared, 'relay stopped before Kafka acknowledged; resent after restart');
        return;
      }
      endSpans(part.prepared);
      this.deps.onPartDone(part);
    }
  }

  /** True once Kafka acknowledged every message (or its dead-letter copy); false if stopped first. */
  private async deliver(messages: OutgoingMessage[]): Promise<boolean> {
    const { sink, config, metrics, log, logName } = this.deps;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await sink.send(messages, this.index);
        metrics.sendDuration.observe((performance.now() - started) / 1000);
        const perTopic = new Map<string, number>();
        for (const m of messages) perTopic.set(m.topic, (perTopic.get(m.topic) ?? 0) + 1);
        for (const [topic, n] of perTopic) metrics.published.inc({ topic }, n);
        if (this.failingSince !== null) log.info({ log: logName, lane: this.index, attempt, down_ms: Date.now() - this.failingSince }, 'kafka send succeeded again');
        this.failingSince = null;
        return true;
      } catch (err) {
        if (err instanceof RejectedRecordsError && !unshrinkable(messages)) return this.deliverRejected(messages, err.reason);
        metrics.sendFailures.inc();
        this.failingSince ??= Date.now();
        this.lastError = (err as Error).message;
        const delay = doublingDelayMs(attempt, { baseMs: config.retryInitialMs, maxMs: config.retryMaxMs });
        log.warn({ log: logName, lane: this.index, attempt, records: messages.length, retry_in_ms: delay, err: this.lastError }, 'kafka send failed; will retry');
        if (!this.running) return false;
        await this.sleeper.sleep(delay);
        if (!this.running) return false;
      }
    }
  }

  /** Isolates the record Kafka refuses and sends it to the dead-letter topic with the reason; the rest go through. */
  private async deliverRejected(messages: OutgoingMessage[], reason: string): Promise<boolean> {
    if (messages.length > 1) {
      for (const m of messages) if (!(await this.deliver([m]))) return false;
      return true;
    }
    const [m] = messages;
    const { log, logName, metrics } = this.deps;
    log.error({ log: logName, lane: this.index, username: m.key, event_id: m.headers[HEADERS.eventId], topic: m.topic, reason }, 'Kafka rejected a record permanently; sending it to the dead-letter topic');
    metrics.deadLetters.inc();
    if (m.topic !== TOPICS.deadLetter) return this.deliver([deadLetter(m, reason, logName)]);
    // Even the dead-letter copy is refused (e.g. too large): keep the headers and the reason, drop
    // the value (the WAL archive, when enabled, still has it).
    return this.deliver([{ ...m, value: Buffer.alloc(0), headers: { ...m.headers, [DLQ_HEADERS.reason]: `${m.headers[DLQ_HEADERS.reason]}; value dropped: ${reason}` } }]);
  }
}

/** An empty dead-letter record cannot be made smaller: if Kafka refuses it, keep retrying (and warning). */
function unshrinkable(messages: OutgoingMessage[]): boolean {
  return messages.length === 1 && messages[0].topic === TOPICS.deadLetter && messages[0].value.length === 0;
}

function endSpans(prepared: PreparedMessage[], error?: string): void {
  for (const { span } of prepared) {
    if (!span) continue;
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end();
  }
}
