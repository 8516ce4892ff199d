import type { Logger } from '@usersys/logger';
import { WakeableSleeper } from '@usersys/service-kit';
import { comparePositions, pruneSegments, readCheckpoint, WalReader, writeCheckpoint, type WalPosition, type WalRecord } from '@usersys/wal';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { AckTracker } from './ack-tracker';
import type { RelayConfig } from './config';
import { Lane, type LanePart } from './lane';
import type { MessageSink } from './ports';
import { prepareRecords, type PreparedMessage } from './prepare';
import type { RelayMetrics } from './relay-metrics';

export type { MessageSink, OutgoingMessage } from './ports';

export type LogRelayConfig = Pick<
  RelayConfig,
  'batchMaxRecords' | 'batchMaxBytes' | 'lingerMs' | 'maxInFlight' | 'pollIntervalMs' | 'retryInitialMs' | 'retryMaxMs' | 'readErrorPauseMs' | 'checkpointIntervalMs' | 'backlogWarnRecords' | 'ageWarnMs' | 'ackedSegments' | 'archiveDir'
>;

/** How often the pump looks at the WAL tail when the directory cannot be watched (the watch is what wakes it otherwise). */
export const UNWATCHED_POLL_MS = 5;

/** FNV-1a: a key always lands on the same lane, which is what keeps per-key order. */
export function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/**
 * Relays one WAL directory to Kafka. A pump reads batches after the checkpoint and splits each
 * over the lanes (one producer each); every lane sends its parts in order, retrying forever with
 * capped backoff, so nothing is dropped and with Kafka down the backlog simply grows. The
 * checkpoint only moves over what every lane has acknowledged, and is written every
 * `checkpointIntervalMs` and on stop: a crash resends at most that much (at-least-once).
 * Caught up, the pump sleeps until the directory watch reports a change (a writer appended or
 * rotated); `pollIntervalMs` is only the safety net for a missed event, so an idle relay costs nothing.
 */
export class LogRelay {
  readonly name: string;
  private reader!: WalReader;
  private scanner!: WalReader;
  private tracker!: AckTracker;
  private lanes: Lane[] = [];
  private running = false;
  private pump: Promise<void> | null = null;
  private checkpointer: Promise<void> | null = null;
  /** The pump sleeps here (caught up, a full window, lingering, after a read error); the directory watch, acknowledged parts and stop wake it. */
  private readonly sleeper = new WakeableSleeper();
  private checkpointed: WalPosition | null = null;
  private scanned = 0;
  private lastWarnAt = 0;
  private readError: string | null = null;
  private watcher: FSWatcher | null = null;
  /** Set by the directory watch: the log changed since the pump last read it. */
  private changed = true;
  /** True while the pump, caught up, waits for new data (the only wait a change may cut short). */
  private waitingForData = false;

  constructor(
    readonly dir: string,
    private readonly sink: MessageSink,
    private readonly config: LogRelayConfig,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
  ) {
    this.name = path.basename(dir);
  }

  async start(): Promise<void> {
    const checkpoint = await readCheckpoint(this.dir);
    this.checkpointed = checkpoint;
    this.reader = new WalReader(this.dir, checkpoint);
    this.scanner = new WalReader(this.dir, checkpoint);
    this.tracker = new AckTracker(checkpoint);
    this.lanes = Array.from(
      { length: this.config.maxInFlight },
      (_, i) => new Lane(i, { sink: this.sink, config: this.config, metrics: this.metrics, log: this.log, logName: this.name, onPartDone: (part) => this.partDone(part) }),
    );
    for (const lane of this.lanes) lane.start();
    this.watcher = this.watchLog();
    this.running = true;
    this.pump = this.pumpLoop();
    this.checkpointer = this.checkpointLoop();
    this.log.info({ log: this.name, checkpoint }, 'relaying WAL');
  }

  /** SIGTERM path: stop reading, let the sends in flight finish, write the checkpoint. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.watcher?.close();
    this.watcher = null;
    this.sleeper.wake();
    await this.pump;
    await Promise.all(this.lanes.map((lane) => lane.stop()));
    await this.checkpointer;
    await this.flushCheckpoint();
    await this.reader.close();
    await this.scanner.close();
  }

  /** Wakes the pump when anything in the log directory changes; null (and a fast poll) if the directory cannot be watched. */
  private watchLog(): FSWatcher | null {
    const fallBack = (err: Error) => this.log.warn({ log: this.name, err: err.message, poll_ms: UNWATCHED_POLL_MS }, 'cannot watch the WAL directory; polling it instead');
    try {
      const watcher = watch(this.dir, { persistent: false }, () => {
        this.changed = true;
        if (this.waitingForData) this.sleeper.wake();
      });
      watcher.on('error', (err) => {
        fallBack(err);
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
        this.sleeper.wake();
      });
      return watcher;
    } catch (err) {
      fallBack(err as Error);
      return null;
    }
  }

  private async waitForData(): Promise<void> {
    this.waitingForData = true;
    await this.sleeper.sleep(this.watcher ? this.config.pollIntervalMs : UNWATCHED_POLL_MS);
    this.waitingForData = false;
  }

  private async pumpLoop(): Promise<void> {
    // One chunk per lane in flight plus one read ahead per lane, so reading and preparing overlap sends.
    const window = this.lanes.length * 2;
    while (this.running) {
      if (this.tracker.outstanding >= window) {
        await this.sleeper.sleep();
        continue;
      }
      try {
        this.changed = false;
        let records = await this.reader.read(this.config.batchMaxRecords, this.config.batchMaxBytes);
        if (records.length === 0) {
          if (!this.changed) await this.waitForData(); // a change during the read: read again at once
          continue;
        }
        if (records.length < this.config.batchMaxRecords && this.config.lingerMs > 0) {
          await this.sleeper.sleep(this.config.lingerMs);
          if (!this.running) return; // nothing of this read is in flight: it is resent after restart
          records = records.concat(await this.reader.read(this.config.batchMaxRecords - records.length, this.config.batchMaxBytes));
        }
        this.readError = null;
        this.dispatch(records);
      } catch (err) {
        // A sealed segment that does not parse is not skipped: it waits for an operator, loudly.
        this.readError = (err as Error).message;
        this.log.error({ log: this.name, err: this.readError }, 'reading the WAL failed; retrying');
        await this.sleeper.sleep(this.config.readErrorPauseMs);
      }
    }
  }

  private dispatch(records: WalRecord[]): void {
    const prepared = prepareRecords(records, this.name);
    const chunk = this.tracker.add(
      records[records.length - 1].end,
      records.map((r) => r.appendedAtMs),
    );
    const perLane = new Map<number, PreparedMessage[]>();
    for (const p of prepared) {
      const lane = laneOf(p.message.key, this.lanes.length);
      const list = perLane.get(lane);
      if (list) list.push(p);
      else perLane.set(lane, [p]);
    }
    chunk.partsLeft = perLane.size;
    for (const [lane, list] of perLane) this.lanes[lane].enqueue({ chunk, prepared: list });
  }

  private partDone(part: LanePart): void {
    const released = this.tracker.partDone(part.chunk);
    if (released.length === 0) return;
    const now = Date.now();
    for (const chunk of released) for (const t of chunk.appendedAtMs) this.metrics.publishLatency.observe((now - t) / 1000);
    this.sleeper.wake();
  }

  private async checkpointLoop(): Promise<void> {
    while (this.running) {
      await new Promise((r) => setTimeout(r, this.config.checkpointIntervalMs));
      await this.flushCheckpoint();
    }
  }

  /** Writes the acknowledged position if it moved, then drops (or archives) the segments wholly behind it. */
  private async flushCheckpoint(): Promise<void> {
    const acked = this.tracker.acked;
    if (!acked || (this.checkpointed && comparePositions(acked, this.checkpointed) === 0)) return;
    try {
      await writeCheckpoint(this.dir, acked);
      this.checkpointed = acked;
      if (this.config.ackedSegments !== 'keep') {
        await pruneSegments(this.dir, acked, this.config.ackedSegments === 'archive' ? { archiveDir: this.config.archiveDir ?? path.join(this.dir, 'archive') } : {});
      }
    } catch (err) {
      this.log.error({ log: this.name, err: (err as Error).message }, 'writing the WAL checkpoint failed; retrying');
    }
  }

  /** Counts records appended since the last scan; backlog = appended − acknowledged. Called about once a second. */
  async updateBacklog(): Promise<void> {
    while (this.running) {
      const batch = await this.scanner.read(10_000, 4 * 1024 * 1024);
      if (batch.length === 0) break;
      this.scanned += batch.length;
    }
    const backlog = this.backlog;
    const oldest = this.tracker.oldestAppendedAtMs;
    const ageMs = oldest === null ? 0 : Date.now() - oldest;
    this.metrics.backlog.set({ log: this.name }, backlog);
    this.metrics.oldestAge.set({ log: this.name }, ageMs / 1000);
    const now = Date.now();
    if ((backlog > this.config.backlogWarnRecords || ageMs > this.config.ageWarnMs) && now - this.lastWarnAt >= 5000) {
      this.lastWarnAt = now;
      this.log.warn({ log: this.name, backlog, oldest_age_seconds: Math.round(ageMs / 100) / 10, kafka_error: this.problem() }, 'WAL backlog over threshold');
    }
  }

  /** Records Kafka acknowledged since start (those behind the checkpoint included as soon as acked). */
  get acknowledged(): number {
    return this.tracker.ackedRecords;
  }

  get backlog(): number {
    return Math.max(0, this.scanned - this.tracker.ackedRecords);
  }

  /** What keeps this log from draining, if anything (for /readyz and the backlog warning). */
  problem(): string | null {
    if (this.readError) return `WAL ${this.name}: ${this.readError}`;
    const failing = this.lanes.find((l) => l.failingSince !== null);
    if (failing) return `kafka sends failing for ${Math.round((Date.now() - failing.failingSince!) / 1000)}s: ${failing.lastError}`;
    return null;
  }
}
