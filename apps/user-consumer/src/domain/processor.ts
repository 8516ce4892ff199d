import { decodeEvent, InvalidEventError, validateEvent, type EventEnvelope } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { context, extractTraceContext, SpanKind, SpanStatusCode, trace, tracer, type Context, type Span } from '@usersys/tracing';
import type { RetryPolicy } from '../config';
import { backoffMs } from './backoff';
import { errorText, RETRY_HEADERS, retryMetaOf, type Headers, type InboundMessage, type RetryMeta } from './messages';
import type { BatchControl, Bookkeeping, ConsumerMetrics, OutboundMessage, ParkedItem, ParkState, Republisher, UserStore, WriteResult } from './ports';

export const SPAN_BY_TYPE: Record<EventEnvelope['type'], string> = {
  'user.created': 'processCreateOperation',
  'user.updated': 'processUpdateOperation',
  'user.deleted': 'processDeleteOperation',
  'user.force_deleted': 'processForceDeleteOperation',
};

const DB_SPAN_BY_TYPE: Record<EventEnvelope['type'], string> = {
  'user.created': 'createUserInDB',
  'user.updated': 'updateUserInDB',
  'user.deleted': 'deleteUserInDB',
  'user.force_deleted': 'deleteUserInDB',
};

export interface ProcessorDeps {
  store: UserStore;
  bookkeeping: Bookkeeping;
  republisher: Republisher;
  metrics: ConsumerMetrics;
  log: Logger;
  retry: RetryPolicy;
  writeBatchMax: number;
  /** The degrade switch, read per write (changeable at run time). */
  degrade: () => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Shutdown or rebalance asked us to stop: leave the rest of the batch unresolved (redelivered). */
export class StopRequested extends Error {}

interface Item {
  msg: InboundMessage;
  event?: EventEnvelope;
  poison?: string;
}

/** One event on its way through: its CONSUMER span (child of the producer's trace context). */
interface Work {
  msg: InboundMessage;
  event: EventEnvelope;
  span: Span;
  ctx: Context;
  degrade: boolean;
}

/** Redis steps still running after a write (a wrapper: an async function would flatten a bare promise). */
interface Pending {
  settled: Promise<void>;
}
const DONE: Pending = { settled: Promise.resolve() };

type DbResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

function decodeItem(msg: InboundMessage): Item {
  try {
    return { msg, event: decodeEvent(msg.value ?? Buffer.alloc(0)) };
  } catch (err) {
    return { msg, poison: err instanceof InvalidEventError ? err.message : errorText(err) };
  }
}

const sourceOf = (m: InboundMessage) => `${m.topic}/${m.partition}/${m.offset}`;

/**
 * Turns events into rows (see README.md "Processing" and "Failures"):
 * - per partition in offset order; creates of distinct usernames go to the database together;
 * - a user with an event in retry or in the dead-letter topic is parked (PostgreSQL), and its later
 *   events queue behind that event instead of overtaking it;
 * - a write that fails while the database answers a ping goes to user.retry.v1 (capped exponential
 *   backoff), then user.dlq.v1; a database that does not answer pauses consumption instead;
 * - poison messages go straight to user.dlq.v1.
 * Offsets are resolved only after everything before them is written (or parked/re-sent).
 */
export class EventProcessor {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: ProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** A batch from user.events.v1. */
  async handleEventsBatch(messages: InboundMessage[], ctl: BatchControl): Promise<void> {
    try {
      await this.eventsBatch(messages, ctl);
    } catch (err) {
      if (!(err instanceof StopRequested)) throw err;
    }
  }

  /** One message from user.retry.v1; false when it was left unresolved (stopping). */
  async handleRetryMessage(message: InboundMessage, ctl: BatchControl): Promise<boolean> {
    try {
      return await this.retryMessage(message, ctl);
    } catch (err) {
      if (err instanceof StopRequested) return false;
      throw err;
    }
  }

  // ---- main topic -------------------------------------------------------------------------------

  private async eventsBatch(messages: InboundMessage[], ctl: BatchControl): Promise<void> {
    const { store, writeBatchMax } = this.deps;
    const items = messages.map(decodeItem);
    const events = items.flatMap((i) => (i.event ? [i.event] : []));
    const parked = await this.must(() => store.parkedUsers([...new Set(events.map((e) => e.username))]), ctl);
    const markers = await this.markers(events.filter((e) => e.type === 'user.created').map((e) => e.username));

    let group: Item[] = [];
    const inGroup = new Set<string>();
    // The Redis steps of one write overlap the next write (depth 1); offsets still resolve in order,
    // each only after its own Redis steps. Cache SETs cannot go backwards (guarded by updatedAt).
    let settling: Promise<void> | null = null;
    const complete = async ({ settled }: Pending, offset: string) => {
      if (settling) await settling;
      settling = settled.then(() => ctl.resolve(offset));
      settling.catch(() => {}); // awaited below; this only keeps a failure from counting as unhandled meanwhile
      await ctl.heartbeat();
    };
    const flush = async () => {
      if (group.length === 0) return;
      const done = group;
      group = [];
      inGroup.clear();
      await complete(await this.applyGroup(done, parked, markers, ctl), done[done.length - 1].msg.offset);
    };
    for (const item of items) {
      if (!ctl.isRunning()) throw new StopRequested();
      const e = item.event;
      const groupable = e?.type === 'user.created' && !parked.has(e.username);
      if (groupable && !inGroup.has(e.username) && group.length < writeBatchMax) {
        group.push(item);
        inGroup.add(e.username);
        continue;
      }
      // Anything else waits for the writes before it: offsets resolve in order, users stay in order.
      await flush();
      if (groupable) {
        group.push(item);
        inGroup.add(e.username);
        continue;
      }
      if (!e) {
        if (settling) await settling;
        await this.poison(item);
        await complete(DONE, item.msg.offset);
      } else await complete(await this.applyOrPark(item as Item & { event: EventEnvelope }, parked, markers, ctl), item.msg.offset);
    }
    await flush();
    if (settling) await settling;
  }

  private async markers(usernames: string[]): Promise<Map<string, string | null> | null> {
    if (usernames.length === 0) return new Map();
    try {
      return await this.deps.bookkeeping.markerEventIds(usernames);
    } catch {
      return null; // Redis unavailable: every create decides from the database (logged per event)
    }
  }

  private async applyOrPark(item: Item & { event: EventEnvelope }, parked: Map<string, ParkState>, markers: Map<string, string | null> | null, ctl: BatchControl): Promise<Pending> {
    const e = item.event;
    const p = parked.get(e.username);
    if (p) {
      if (p.headEventId === e.eventId) {
        // The head itself again (we stopped after parking it, before committing): make sure it is in retry.
        if (p.status === 'retrying') {
          await this.deps.republisher.retry(this.outbound(item.msg), { attempt: p.attempts, notBefore: this.now() + backoffMs(p.attempts, this.deps.retry), stage: 'write', error: 'redelivered head of a parked user' });
        }
        this.note(this.begin(item.msg, e, null), 'parked', 'head of parked user redelivered');
        return DONE;
      }
      if (await this.must(() => this.deps.store.appendParked(e, this.storedHeaders(item.msg)), ctl)) {
        this.note(this.begin(item.msg, e, null), 'parked', 'queued behind the user\'s event in retry');
        return DONE;
      }
      parked.delete(e.username); // unparked in the meantime
    }
    return this.applyGroup([item], parked, markers, ctl);
  }

  /** Writes the group; returns the still running Redis steps of what was written. */
  private async applyGroup(group: Item[], parked: Map<string, ParkState>, markers: Map<string, string | null> | null, ctl: BatchControl): Promise<Pending> {
    const works = group.map((i) => this.begin(i.msg, i.event!, markers));
    const res = await this.write(works, ctl);
    if (res.ok) {
      this.deps.metrics.batchWritten(works.length);
      return { settled: this.finish(works, res.value) };
    }
    if (works.length === 1) {
      await this.firstFailure(works[0], res.error, parked, ctl);
      return DONE;
    }
    // Find the event(s) that fail on their own; the others are written one by one.
    for (const w of works) {
      const one = await this.write([w], ctl);
      if (one.ok) await this.finish([w], one.value);
      else await this.firstFailure(w, one.error, parked, ctl);
    }
    return DONE;
  }

  /** A write failed with the database up: park the user (first, so nothing overtakes) and schedule attempt 1. */
  private async firstFailure(w: Work, err: unknown, parked: Map<string, ParkState>, ctl: BatchControl): Promise<void> {
    const error = errorText(err);
    const headers = this.storedHeaders(w.msg);
    await this.must(() => this.deps.store.setHead(w.event, headers, { attempts: 1, status: 'retrying', error }), ctl);
    parked.set(w.event.username, { username: w.event.username, headEventId: w.event.eventId, status: 'retrying', attempts: 1 });
    await this.deps.republisher.retry(this.outbound(w.msg, headers), { attempt: 1, notBefore: this.now() + backoffMs(1, this.deps.retry), stage: 'write', error });
    this.deps.metrics.retried(w.event.type, 'write');
    this.note(w, 'retry', 'write failed: sent to the retry topic, user parked', error);
  }

  // ---- retry topic ------------------------------------------------------------------------------

  private async retryMessage(m: InboundMessage, ctl: BatchControl): Promise<boolean> {
    const { store } = this.deps;
    const meta = retryMetaOf(m.headers);
    const item = decodeItem(m);
    if (!item.event) {
      await this.poison(item);
      return true;
    }
    const e = item.event;
    for (let wait = meta.notBefore - this.now(); wait > 0; wait = meta.notBefore - this.now()) {
      if (!ctl.isRunning()) return false;
      await ctl.heartbeat();
      await this.sleep(Math.min(wait, 1000));
    }
    if (meta.stage === 'bookkeeping') return this.retryBookkeeping(m, e, meta, ctl);

    const p = (await this.must(() => store.parkedUsers([e.username]), ctl)).get(e.username);
    const isHead = p?.headEventId === e.eventId;
    if (meta.action === 'discard') {
      const w = this.begin(m, e, null);
      await this.must(() => store.markDiscarded(e), ctl);
      if (isHead) {
        this.note(w, 'discarded', 'dead letter discarded by an operator: releasing the user\'s parked events');
        await this.drain(e.username, ctl);
      } else this.note(w, 'discarded', 'dead letter discarded by an operator (recorded as processed; the user was not parked behind it)');
      return true;
    }
    if (p && !isHead) {
      if (await this.must(() => store.appendParked(e, this.storedHeaders(m)), ctl)) {
        this.note(this.begin(m, e, null), 'parked', 'queued behind the user\'s event in retry');
        return true;
      }
    }
    let attempt = meta.attempt;
    if (isHead) {
      if (meta.action === 'replay') attempt = 1;
      else if (p!.status === 'dead' || meta.attempt < p!.attempts) {
        this.note(this.begin(m, e, null), 'stale', 'retry message superseded (newer attempt or already dead-lettered)');
        return true;
      }
    }
    const w = this.begin(m, e, null);
    const res = await this.write([w], ctl);
    if (!res.ok) {
      await this.retryFailed(w, attempt, res.error, ctl);
      return true;
    }
    await this.finish([w], res.value);
    if (isHead) await this.drain(e.username, ctl);
    return true;
  }

  private async retryFailed(w: Work, attempt: number, err: unknown, ctl: BatchControl): Promise<void> {
    const { republisher, store, metrics, retry } = this.deps;
    const error = errorText(err);
    const headers = this.storedHeaders(w.msg);
    // Publish first, then record: the retry partition is processed in order, so the record is
    // always written before the next attempt is looked at.
    if (attempt >= retry.maxAttempts) {
      await republisher.deadLetter(this.outbound(w.msg, headers), { stage: 'write', reason: 'retries exhausted', error, attempts: attempt, source: headers[RETRY_HEADERS.origin] ?? sourceOf(w.msg) });
      await this.must(() => store.setHead(w.event, headers, { attempts: attempt, status: 'dead', error }), ctl);
      metrics.deadLettered('retries_exhausted');
      this.note(w, 'dead_letter', 'retries exhausted: sent to the dead-letter topic; the user stays parked until it is replayed or discarded', error);
      return;
    }
    await republisher.retry(this.outbound(w.msg, headers), { attempt: attempt + 1, notBefore: this.now() + backoffMs(attempt + 1, retry), stage: 'write', error });
    await this.must(() => store.setHead(w.event, headers, { attempts: attempt + 1, status: 'retrying', error }), ctl);
    metrics.retried(w.event.type, 'write');
    this.note(w, 'retry', `attempt ${attempt} failed: retrying`, error);
  }

  /** The head is done (or discarded): apply the user's parked events in order, until one fails again. */
  private async drain(username: string, ctl: BatchControl): Promise<void> {
    const { store } = this.deps;
    for (;;) {
      if (!ctl.isRunning()) throw new StopRequested();
      const next: ParkedItem | null = await this.must(() => store.nextParked(username), ctl);
      if (!next) {
        this.deps.log.info({ username, step: 'unpark', status: 'done' }, 'user unparked');
        return;
      }
      let event: EventEnvelope;
      try {
        event = validateEvent(next.event);
      } catch {
        await this.must(() => store.removeParked(next.seq), ctl); // validated when parked; cannot happen
        continue;
      }
      const msg: InboundMessage = { topic: 'parked', partition: -1, offset: String(next.seq), key: username, value: Buffer.from(JSON.stringify(event)), headers: next.headers };
      const w = this.begin(msg, event, null);
      const res = await this.write([w], ctl);
      if (!res.ok) {
        const error = errorText(res.error);
        await this.deps.republisher.retry(this.outbound(msg, next.headers), { attempt: 1, notBefore: this.now() + backoffMs(1, this.deps.retry), stage: 'write', error });
        await this.must(() => store.promoteParked(next, event, error), ctl);
        this.deps.metrics.retried(event.type, 'write');
        this.note(w, 'retry', 'parked event failed: it is the user\'s head event now', error);
        return;
      }
      await this.must(() => store.removeParked(next.seq), ctl);
      await this.finish([w], res.value);
      await ctl.heartbeat();
    }
  }

  private async retryBookkeeping(m: InboundMessage, e: EventEnvelope, meta: RetryMeta, ctl: BatchControl): Promise<boolean> {
    const { republisher, metrics, retry } = this.deps;
    const rows = await this.must(() => this.deps.store.currentRows([e.username]), ctl);
    const w = this.begin(m, e, null);
    const kind = (['applied', 'duplicate', 'skipped', 'rejected'].includes(meta.outcome ?? '') ? meta.outcome : 'applied') as WriteResult['kind'];
    const result: WriteResult = { eventId: e.eventId, kind, ...(meta.field ? { field: meta.field } : {}), row: rows.get(e.username) ?? null };
    const [err] = await this.settle([w], [result]);
    if (!err) {
      this.note(w, 'bookkeeping_done', 'Redis bookkeeping done on retry');
      return true;
    }
    const error = errorText(err);
    const headers = this.storedHeaders(m);
    const keep = { [RETRY_HEADERS.stage]: 'bookkeeping', [RETRY_HEADERS.outcome]: kind, ...(meta.field ? { [RETRY_HEADERS.field]: meta.field } : {}) };
    if (meta.attempt >= retry.maxAttempts) {
      // The row is written; only Redis is behind (marker and cache entries expire by TTL). No parking.
      await republisher.deadLetter(this.outbound(m, headers), { stage: 'bookkeeping', reason: 'retries exhausted', error, attempts: meta.attempt, source: headers[RETRY_HEADERS.origin] ?? sourceOf(m), extraHeaders: keep });
      metrics.deadLettered('bookkeeping_exhausted');
      this.note(w, 'dead_letter', 'Redis bookkeeping retries exhausted: sent to the dead-letter topic', error);
    } else {
      await republisher.retry(this.outbound(m, headers), { attempt: meta.attempt + 1, notBefore: this.now() + backoffMs(meta.attempt + 1, retry), stage: 'bookkeeping', error, outcome: kind, ...(meta.field ? { field: meta.field } : {}) });
      metrics.retried(e.type, 'bookkeeping');
      this.note(w, 'retry', 'Redis bookkeeping failed again: retrying', error);
    }
    return true;
  }

  // ---- shared steps -----------------------------------------------------------------------------

  private async poison(item: Item): Promise<void> {
    await this.deps.republisher.deadLetter(this.outbound(item.msg), { stage: 'poison', reason: item.poison ?? 'invalid', attempts: 0, source: sourceOf(item.msg) });
    this.deps.metrics.deadLettered('invalid');
    this.deps.metrics.consumed('unknown', 'poison');
    this.deps.log.error({ topic: item.msg.topic, partition: item.msg.partition, offset: item.msg.offset, reason: item.poison, status: 'dead_letter' }, 'poison message sent to the dead-letter topic');
  }

  private begin(msg: InboundMessage, event: EventEnvelope, markers: Map<string, string | null> | null): Work {
    const parent = extractTraceContext(msg.headers);
    // Creates read the pending marker first; when it is missing (expired) or Redis is down, the
    // decision rests on the database alone (the insert is conditional), which is logged as degrade.
    const degrade = event.type === 'user.created' && msg.topic !== 'parked' && (markers === null || markers.get(event.username) == null) && !msg.headers[RETRY_HEADERS.attempt];
    const span = tracer().startSpan(
      SPAN_BY_TYPE[event.type],
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.topic,
          'messaging.destination.partition.id': String(msg.partition),
          'messaging.kafka.offset': Number(msg.offset),
          'messaging.kafka.message.key': msg.key ?? '',
          'enduser.id': event.username,
          'event.id': event.eventId,
          'event.type': event.type,
          degrade,
        },
      },
      parent,
    );
    const w = { msg, event, span, ctx: trace.setSpan(parent, span), degrade };
    if (degrade) {
      context.with(w.ctx, () =>
        this.deps.log.warn({ username: event.username, event_id: event.eventId, step: 'readPendingMarker', degrade: true, status: markers === null ? 'redis_unavailable' : 'missing' }, 'pending marker missing: the database decides (conditional insert)'),
      );
    }
    return w;
  }

  private async write(works: Work[], ctl: BatchControl): Promise<DbResult<WriteResult[]>> {
    const degrade = this.deps.degrade();
    return this.db(async () => {
      const spans = works.map((w) =>
        tracer().startSpan(DB_SPAN_BY_TYPE[w.event.type], { attributes: { 'enduser.id': w.event.username, 'event.id': w.event.eventId, 'db.batch.size': works.length, degrade } }, w.ctx),
      );
      try {
        const results = await this.deps.store.write(
          works.map((w) => w.event),
          { degrade },
        );
        spans.forEach((s, i) => s.setAttribute('outcome', results[i].kind));
        return results;
      } catch (err) {
        for (const s of spans) {
          s.recordException(err as Error);
          s.setStatus({ code: SpanStatusCode.ERROR, message: errorText(err) });
        }
        throw err;
      } finally {
        for (const s of spans) s.end();
      }
    }, ctl);
  }

  private async settle(works: Work[], results: WriteResult[]): Promise<Array<Error | null>> {
    const spans = works.map((w) => {
      const spans = [tracer().startSpan('refreshUserCache', { attributes: { 'enduser.id': w.event.username, 'event.id': w.event.eventId } }, w.ctx)];
      if (w.event.type === 'user.created') spans.push(tracer().startSpan('clearPendingMarker', { attributes: { 'enduser.id': w.event.username, 'event.id': w.event.eventId } }, w.ctx));
      return spans;
    });
    const errors = await this.deps.bookkeeping.settle(works.map((w, i) => ({ event: w.event, result: results[i] })));
    spans.forEach((group, i) => {
      for (const s of group) {
        if (errors[i]) s.setStatus({ code: SpanStatusCode.ERROR, message: errorText(errors[i]) });
        s.end();
      }
    });
    return errors;
  }

  /** After the write: Redis steps; a failure there sends the event to retry for the Redis part only. */
  private async finish(works: Work[], results: WriteResult[]): Promise<void> {
    const errors = await this.settle(works, results);
    for (const [i, w] of works.entries()) {
      const r = results[i];
      if (errors[i]) {
        const error = errorText(errors[i]);
        await this.deps.republisher.retry(this.outbound(w.msg, this.storedHeaders(w.msg)), {
          attempt: 1,
          notBefore: this.now() + backoffMs(1, this.deps.retry),
          stage: 'bookkeeping',
          error,
          outcome: r.kind,
          ...(r.field ? { field: r.field } : {}),
        });
        this.deps.metrics.retried(w.event.type, 'bookkeeping');
        context.with(w.ctx, () => this.deps.log.warn({ username: w.event.username, event_id: w.event.eventId, step: 'refreshUserCache', status: 'retry', degrade: true, err: error }, 'row written; Redis bookkeeping failed: sent to the retry topic'));
      }
      this.note(w, r.kind, r.reason ?? (r.field ? `${r.field} is already taken by another user` : undefined));
    }
  }

  /** Ends the event's span with its outcome, counts it, and logs it (applied at debug level: one line per event is a lot at full speed). */
  private note(w: Work, outcome: string, message?: string, error?: string): void {
    w.span.setAttribute('outcome', outcome);
    if (error) w.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    context.with(w.ctx, () => {
      const fields = { username: w.event.username, event_id: w.event.eventId, event_type: w.event.type, step: 'consume', status: outcome, degrade: w.degrade, ...(error ? { err: error } : {}) };
      if (outcome === 'applied' || outcome === 'duplicate') this.deps.log.debug(fields, 'event processed');
      else if (outcome === 'retry' || outcome === 'dead_letter') this.deps.log.warn(fields, message ?? 'event not applied');
      else this.deps.log.info(fields, message ?? 'event processed');
    });
    w.span.end();
    this.deps.metrics.consumed(w.event.type, outcome);
  }

  private storedHeaders(msg: InboundMessage): Headers {
    const headers = { ...msg.headers };
    if (!headers[RETRY_HEADERS.origin] && msg.topic !== 'parked') headers[RETRY_HEADERS.origin] = sourceOf(msg);
    return headers;
  }

  private outbound(msg: InboundMessage, headers: Headers = msg.headers): OutboundMessage {
    return { key: msg.key, value: msg.value, headers };
  }

  // ---- database availability ---------------------------------------------------------------------

  /** Runs fn; a failure while the database answers is returned, one while it does not pauses and repeats. */
  private async db<T>(fn: () => Promise<T>, ctl: BatchControl): Promise<DbResult<T>> {
    for (;;) {
      try {
        return { ok: true, value: await fn() };
      } catch (error) {
        if (await this.databaseUp()) return { ok: false, error };
        await this.waitForDatabase(error, ctl);
      }
    }
  }

  /** For bookkeeping queries of our own: any failure that is not an outage is thrown (batch redelivered). */
  private async must<T>(fn: () => Promise<T>, ctl: BatchControl): Promise<T> {
    const res = await this.db(fn, ctl);
    if (!res.ok) throw res.error;
    return res.value;
  }

  private async databaseUp(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.deps.store.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('ping timed out')), 2000)))]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async waitForDatabase(error: unknown, ctl: BatchControl): Promise<void> {
    const { log, metrics } = this.deps;
    log.error({ err: errorText(error), step: 'database', status: 'paused' }, 'database unavailable: consumption paused until it answers again');
    metrics.databasePaused(true);
    try {
      let delay = 250;
      while (!(await this.databaseUp())) {
        if (!ctl.isRunning()) throw new StopRequested();
        await ctl.heartbeat();
        await this.sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    } finally {
      metrics.databasePaused(false);
    }
    log.info({ step: 'database', status: 'resumed' }, 'database reachable again: consumption resumed');
  }
}
