import type { Logger } from '@usersys/logger';
import { ensureDir, listSegments } from '@usersys/wal';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RelayConfig } from './config';
import { LogRelay } from './log-relay';
import type { MessageSink } from './ports';
import type { RelayMetrics } from './relay-metrics';

/**
 * Every user-command process writes its own log under WAL_DIR/<name>; the relay finds each one
 * (now and as new ones appear) and relays it independently, with its own checkpoint.
 */
export class Relay {
  private readonly logs = new Map<string, LogRelay>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly config: RelayConfig,
    private readonly sink: MessageSink,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await ensureDir(this.config.walRoot); // 0700: every log under it holds personal data
    this.ticking = this.tick().finally(() => (this.ticking = null));
    await this.ticking;
    if (this.stopped) return;
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = null));
    }, 1000);
  }

  private async tick(): Promise<void> {
    try {
      const entries = await fs.readdir(this.config.walRoot, { withFileTypes: true });
      for (const entry of entries) {
        if (this.stopped) return; // stop() came while discovering: start nothing it would not stop
        if (!entry.isDirectory() || this.logs.has(entry.name)) continue;
        const dir = path.join(this.config.walRoot, entry.name);
        if (dir === this.config.archiveDir) continue;
        if ((await listSegments(dir)).length === 0) continue;
        const relay = new LogRelay(dir, this.sink, this.config, this.metrics, this.log);
        this.logs.set(entry.name, relay);
        await relay.start();
      }
      for (const relay of this.logs.values()) await relay.updateBacklog();
    } catch (err) {
      this.log.error({ err }, 'WAL discovery failed');
    }
  }

  /** Why the relay is not draining (read errors, Kafka failing), for /readyz; null when healthy. */
  problem(): string | null {
    const problems = [...this.logs.values()].map((r) => r.problem()).filter((p): p is string => p !== null);
    return problems.length ? problems.join('; ') : null;
  }

  get totalBacklog(): number {
    let n = 0;
    for (const relay of this.logs.values()) n += relay.backlog;
    return n;
  }

  /** Stops discovery, then every log: reading stops, sends in flight finish, checkpoints are written. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await Promise.all([...this.logs.values()].map((r) => r.stop()));
  }
}
