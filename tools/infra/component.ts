import type { Say } from './proc';
import type { InfraSettings, ServiceName } from './settings';

/** One `status` line: `<name> <up|starting|down> pid <pid> 127.0.0.1:<port> <extra>`. */
export interface StatusLine {
  name: string;
  pid: number | null;
  port: number;
  extra: string;
}

export interface Context {
  settings: InfraSettings;
  say: Say;
  /** `up --cluster` (or `--kafka-cluster`): Kafka runs three brokers. */
  kafkaMode: 'single' | 'cluster';
}

/**
 * One infrastructure server (or set of servers). `up` runs prepare → start → ready for each selected
 * component; each step is idempotent (a running server is left alone).
 */
export interface Component {
  readonly name: ServiceName;
  /** Installs, downloads or builds what is missing (apt-get as root, caches in ~/.cache/usersys). */
  prepare(ctx: Context): Promise<void>;
  /** Starts what is not running yet; returns without waiting for it to answer. */
  start(ctx: Context): Promise<void>;
  /** Waits until it really answers (and creates users, databases, topics); prints its "ready" line. */
  ready(ctx: Context): Promise<void>;
  /** Graceful stop, SIGKILL after a timeout; a no-op when not running. */
  stop(ctx: Context): Promise<void>;
  /** Its status lines; empty for an optional component that is not running (cluster mode parts). */
  status(ctx: Context): Promise<StatusLine[]>;
  /** Connection variables for `env` and the end of `up`. */
  env(ctx: Context): Record<string, string>;
  /** Data and log paths `reset` deletes. */
  dataPaths(ctx: Context): string[];
  /** File name globs of its logs in the logs directory. */
  readonly logPatterns: string[];
}
