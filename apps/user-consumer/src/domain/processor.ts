import { decodeEvent, InvalidEventError, RETRY_HEADERS, retryMetaOf, type EventEnvelope, type RetryMeta } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { backoffMs } from '@usersys/service-kit';
import type { RetryPolicy } from '../config';
import { planBatch, type EventItem, type Item } from './batch-plan';
import { DatabaseGate, StopRequested, type Attempted } from './database-gate';
import { FailureActions } from './failure-actions';
import { errorText, outbound, storedHeaders, type InboundMessage } from './messages';
import { onMainTopicEvent, onRetryTopicEvent } from './parking';
import type { BatchControl, Bookkeeping, ConsumerMetrics, Instrumentation, ParkedItem, ParkState, Republisher, UserStore, Work, WriteResult } from './ports';
import { quietInstrumentation } from './quiet-instrumentation';

const DB_SPAN_BY_TYPE: Record<EventEnvelope['type'], string> = {
  'user.created': 'createUserInDB',
  'user.updated': 'updateUserInDB',
  'user.deleted': 'deleteUserInDB',
  'user.force_deleted': 'deleteUserInDB',
  'user.disabled': 'updateUserInDB',
  'user.enabled': 'updateUserInDB',
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
  /** Spans and logs (default: logs only). */
  instrument?: Instrumentation;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export { StopRequested };

/** Redis steps still running after a write (a wrapper: an async function would flatten a bare promise). */
interface Pending {
  settled: Promise<void>;
}
const DONE: Pending = { settled: Promise.resolve() };

function decodeItem(msg: InboundMessage): Item {
  try {
    return { msg, event: decodeEvent(msg.value ?? Buffer.alloc(0)) };
  } catch (err) {
    return { msg, poison: err instanceof InvalidEventError ? err.message : errorText(err) };
  }
}

/**
 * Carries out the consumer's work (README "Processing an event" and "Failures"); what to do when
 * something fails is decided by failure-policy.ts, the order of a batch by batch-plan.ts, and what an
 * event means for a parked user by parking.ts. Offsets are resolved only after everything before them
 * is written (or parked, re-sent or dead-lettered).
 */
export class EventProcessor {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly instrument: Instrumentation;
  private readonly gate: DatabaseGate;
  private readonly failures: FailureActions;

  constructor(private readonly deps: ProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.instrument = deps.instrument ?? quietInstrumentation(deps.log);
    this.gate = new DatabaseGate({ store: deps.store, metrics: deps.metrics, log: this.instrument.log, maxAttempts: deps.retry.maxAttempts, sleep: this.sleep });
    this.failures = new FailureActions({ ...deps, now: this.now, gate: this.gate, instrument: this.instrument, end: (w, outcome, message, error) => this.end(w, outcome, message, error) });
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
    const items = messages.map(decodeItem);
    const events = items.flatMap((i) => (i.event ? [i.event] : []));
    const parked = await this.gate.must(() => this.deps.store.parkedUsers([...new Set(events.map((e) => e.username))]), ctl);
    const markers = await this.markers(events.filter((e) => e.type === 'user.created').map((e) => e.username));

    // The Redis steps of one write overlap the next write (depth 1); offsets still resolve in order,
    // each only after its own Redis steps. Cache SETs cannot go backwards (guarded by updatedAt).
    let settling: Promise<void> | null = null;
    const complete = async ({ settled }: Pending, offset: string) => {
      if (settling) await settling;
      settling = settled.then(() => ctl.resolve(offset));
      settling.catch(() => {}); // awaited below; this only keeps a failure from counting as unhandled meanwhile
      await ctl.heartbeat();
    };
    for (const step of planBatch(items, (u) => parked.has(u), this.deps.writeBatchMax)) {
      if (!ctl.isRunning()) throw new StopRequested();
      if (step.kind === 'poison') {
        if (settling) await settling;
        await this.failures.poison(step.item);
        await complete(DONE, step.item.msg.offset);
      } else if (step.kind === 'single') {
        await complete(await this.applyOrPark(step.item, parked, markers, ctl), step.item.msg.offset);
      } else {
        // A user parked by an earlier step of this batch: its create queues behind the head instead.
        const pending: Pending[] = [];
        for (const item of step.items.filter((i) => parked.has(i.event.username))) pending.push(await this.applyOrPark(item, parked, markers, ctl));
        const free = step.items.filter((i) => !parked.has(i.event.username));
        if (free.length) pending.push(await this.applyGroup(free, parked, markers, ctl));
        await complete({ settled: Promise.all(pending.map((p) => p.settled)).then(() => {}) }, step.items[step.items.length - 1].msg.offset);
      }
    }
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

  private async applyOrPark(item: EventItem, parked: Map<string, ParkState>, markers: Map<string, string | null> | null, ctl: BatchControl): Promise<Pending> {
    const { msg, event: e } = item;
    const p = parked.get(e.username);
    const step = onMainTopicEvent(p, e.eventId);
    if (step.do === 'head_redelivered') {
      if (step.resend) {
        await this.deps.republisher.retry(outbound(msg), { attempt: p!.attempts, notBefore: this.now() + backoffMs(p!.attempts, this.deps.retry), stage: 'write', error: 'redelivered head of a parked user' });
      }
      this.end(this.work(msg, e), 'parked', 'head of parked user redelivered');
      return DONE;
    }
    if (step.do === 'queue') {
      if (await this.gate.must(() => this.deps.store.appendParked(e, storedHeaders(msg), msg.value), ctl)) {
        this.end(this.work(msg, e), 'parked', p!.status === 'dead' ? "queued behind the user's dead-lettered event" : "queued behind the user's event in retry");
        return DONE;
      }
      parked.delete(e.username); // unparked in the meantime
    }
    return this.applyGroup([item], parked, markers, ctl);
  }

  /** Writes the group; returns the still running Redis steps of what was written. */
  private async applyGroup(group: EventItem[], parked: Map<string, ParkState>, markers: Map<string, string | null> | null, ctl: BatchControl): Promise<Pending> {
    const works = group.map((i) => this.work(i.msg, i.event, markers));
    const res = await this.write(works, 0, ctl);
    if (res.ok) {
      this.deps.metrics.batchWritten(works.length);
      return { settled: this.finish(works, res.value) };
    }
    if (works.length === 1) {
      await this.failures.writeFailed(works[0], res, { path: 'main', parked }, ctl);
      return DONE;
    }
    // Find the event(s) that fail on their own; the others are written one by one.
    for (const w of works) {
      const one = await this.write([w], 0, ctl);
      if (one.ok) await this.finish([w], one.value);
      else await this.failures.writeFailed(w, one, { path: 'main', parked }, ctl);
    }
    return DONE;
  }

  // ---- retry topic ------------------------------------------------------------------------------

  private async retryMessage(m: InboundMessage, ctl: BatchControl): Promise<boolean> {
    const { store } = this.deps;
    const meta = retryMetaOf(m.headers);
    const item = decodeItem(m);
    if (!item.event) {
      await this.failures.poison(item);
      return true;
    }
    const e = item.event;
    for (let wait = meta.notBefore - this.now(); wait > 0; wait = meta.notBefore - this.now()) {
      if (!ctl.isRunning()) return false;
      await ctl.heartbeat();
      await this.sleep(Math.min(wait, 1000));
    }
    if (meta.stage === 'bookkeeping') return this.retryBookkeeping(m, e, meta, ctl);

    const p = (await this.gate.must(() => store.parkedUsers([e.username]), ctl)).get(e.username);
    let step = onRetryTopicEvent(p, e.eventId, meta);
    if (step.do === 'discard') {
      const w = this.work(m, e);
      await this.gate.must(() => store.markDiscarded(e), ctl);
      if (step.isHead) {
        this.end(w, 'discarded', "dead letter discarded by an operator: releasing the user's parked events");
        await this.drain(e.username, ctl);
      } else this.end(w, 'discarded', 'dead letter discarded by an operator (recorded as processed; the user was not parked behind it)');
      return true;
    }
    if (step.do === 'queue') {
      if (await this.gate.must(() => store.appendParked(e, storedHeaders(m), m.value), ctl)) {
        this.end(this.work(m, e), 'parked', "queued behind the user's event in retry");
        return true;
      }
      step = { do: 'apply', attempt: meta.attempt, isHead: false }; // unparked in the meantime
    }
    if (step.do === 'stale') {
      this.end(this.work(m, e), 'stale', 'retry message superseded (newer attempt or already dead-lettered)');
      return true;
    }
    const w = this.work(m, e);
    const res = await this.write([w], step.attempt, ctl);
    if (!res.ok) {
      await this.failures.writeFailed(w, res, { path: 'retry', attempt: step.attempt }, ctl);
      return true;
    }
    await this.finish([w], res.value);
    if (step.isHead) await this.drain(e.username, ctl);
    return true;
  }

  /** The head is done (or discarded): apply the user's parked events in order, until one fails again. */
  private async drain(username: string, ctl: BatchControl): Promise<void> {
    const { store } = this.deps;
    for (;;) {
      if (!ctl.isRunning()) throw new StopRequested();
      const next: ParkedItem | null = await this.gate.must(() => store.nextParked(username), ctl);
      if (!next) {
        this.instrument.log.info({ username, step: 'unpark', status: 'done' }, 'user unparked');
        return;
      }
      const msg: InboundMessage = { topic: 'parked', partition: -1, offset: String(next.seq), key: username, value: next.value, headers: next.headers };
      const item = decodeItem(msg);
      if (!item.event) {
        // Valid when it was parked; the schema may have become stricter since.
        await this.failures.poison(item);
        await this.gate.must(() => store.removeParked(next.seq), ctl);
        continue;
      }
      const w = this.work(msg, item.event);
      const res = await this.write([w], 0, ctl);
      if (!res.ok) {
        await this.failures.writeFailed(w, res, { path: 'drain', item: next }, ctl);
        return;
      }
      await this.gate.must(() => store.removeParked(next.seq), ctl);
      await this.finish([w], res.value);
      await ctl.heartbeat();
    }
  }

  private async retryBookkeeping(m: InboundMessage, e: EventEnvelope, meta: RetryMeta, ctl: BatchControl): Promise<boolean> {
    const rows = await this.gate.must(() => this.deps.store.currentRows([e.username]), ctl);
    const w = this.work(m, e);
    const kind = (['applied', 'duplicate', 'skipped', 'rejected'].includes(meta.outcome ?? '') ? meta.outcome : 'applied') as WriteResult['kind'];
    const result: WriteResult = { eventId: e.eventId, kind, ...(meta.field ? { field: meta.field } : {}), row: rows.get(e.username) ?? null };
    const [err] = await this.settle([w], [result]);
    if (!err) {
      this.end(w, 'bookkeeping_done', 'Redis bookkeeping done on retry');
      return true;
    }
    await this.failures.bookkeepingFailed(w, result, meta.attempt, err);
    return true;
  }

  // ---- failures (decided by failure-policy.ts, carried out here) --------------------------------

  // ---- shared steps -----------------------------------------------------------------------------

  /**
   * Starts the event's trace. Creates from the main topic read the pending marker first; when it is
   * missing (expired) or Redis is down, the decision rests on the database alone (the insert is
   * conditional), which is logged as degrade.
   */
  private work(msg: InboundMessage, event: EventEnvelope, markers?: Map<string, string | null> | null): Work {
    const fromMain = markers !== undefined && event.type === 'user.created' && !msg.headers[RETRY_HEADERS.attempt];
    const degrade = !fromMain ? false : markers === null ? 'redis_unavailable' : markers.get(event.username) == null ? 'missing' : false;
    return { msg, event, trace: this.instrument.begin(msg, event, degrade) };
  }

  private async write(works: Work[], attempt: number, ctl: BatchControl): Promise<Attempted<WriteResult[]>> {
    const degrade = this.deps.degrade();
    return this.gate.attempt('write', attempt, ctl, async () => {
      const spans = this.instrument.step(
        DB_SPAN_BY_TYPE[works[0].event.type],
        works.map((w) => w.trace),
        { 'db.batch.size': works.length, degrade },
      );
      try {
        const results = await this.deps.store.write(
          works.map((w) => w.event),
          { degrade },
        );
        spans.done([], results.map((r) => ({ outcome: r.kind })));
        return results;
      } catch (err) {
        spans.done(works.map(() => err));
        throw err;
      }
    });
  }

  private async settle(works: Work[], results: WriteResult[]): Promise<Array<Error | null>> {
    const cache = this.instrument.step('refreshUserCache', works.map((w) => w.trace));
    const creates = works.filter((w) => w.event.type === 'user.created');
    const marker = this.instrument.step('clearPendingMarker', creates.map((w) => w.trace));
    const errors = await this.deps.bookkeeping.settle(works.map((w, i) => ({ event: w.event, result: results[i] })));
    cache.done(errors);
    marker.done(works.flatMap((w, i) => (w.event.type === 'user.created' ? [errors[i]] : [])));
    return errors;
  }

  /** After the write: Redis steps; a failure there sends the event to retry for the Redis part only. */
  private async finish(works: Work[], results: WriteResult[]): Promise<void> {
    const errors = await this.settle(works, results);
    for (const [i, w] of works.entries()) {
      const r = results[i];
      if (errors[i] && (await this.failures.bookkeepingFailed(w, r, 0, errors[i]))) continue;
      this.end(w, r.kind, r.reason ?? (r.field ? `${r.field} is already taken by another user` : undefined));
    }
  }

  /** The event's outcome: its span and log line (instrumentation) and its count. */
  private end(w: Work, outcome: string, message?: string, error?: string): void {
    this.instrument.end(w.trace, outcome, message, error);
    this.deps.metrics.consumed(w.event.type, outcome);
  }
}
