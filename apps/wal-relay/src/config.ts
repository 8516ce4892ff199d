import { envDurationMs, envEnum, envHost, envInt, envPort, loadInfraConfig, type InfraConfig } from '@usersys/config';
import path from 'node:path';

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export interface RelayConfig extends InfraConfig {
  port: number;
  host: string;
  walRoot: string;
  /** Most records in one Kafka request per lane. */
  batchMaxRecords: number;
  batchMaxBytes: number;
  /** How long to wait for more records when a read returns fewer than a full batch. */
  lingerMs: number;
  /** Lanes (one idempotent producer each) sending at the same time; keys are hashed onto lanes. */
  maxInFlight: number;
  compression: Compression;
  /** Safety-net poll of a caught-up WAL; a watch on its directory wakes the relay when a writer appends. */
  pollIntervalMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** How long a pump waits before reading again after a WAL read failed (a sealed segment that does not parse waits for an operator). */
  readErrorPauseMs: number;
  checkpointIntervalMs: number;
  backlogWarnRecords: number;
  ageWarnMs: number;
  /** What happens to segments every record of which Kafka acknowledged. */
  ackedSegments: 'delete' | 'archive' | 'keep';
  /** Where archived segments go; default `<log dir>/archive`. */
  archiveDir?: string;
}

// Defaults measured with bench/wal-relay.bench.ts (see apps/wal-relay/README.md).
export function loadConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  const infra = loadInfraConfig(env);
  const archiveDir = env.WAL_ARCHIVE_DIR ? path.resolve(env.WAL_ARCHIVE_DIR) : undefined;
  return {
    ...infra,
    port: envPort(env, 'WAL_RELAY_PORT', 9464),
    host: envHost(env, 'WAL_RELAY_HOST', '127.0.0.1'),
    walRoot: path.resolve(infra.walDir),
    batchMaxRecords: envInt(env, 'RELAY_BATCH_MAX_RECORDS', 1000, { min: 1, max: 100_000 }),
    batchMaxBytes: envInt(env, 'RELAY_BATCH_MAX_BYTES', 1024 * 1024, { min: 1024 }),
    lingerMs: envDurationMs(env, 'RELAY_LINGER', '0ms'),
    maxInFlight: envInt(env, 'RELAY_MAX_IN_FLIGHT', 2, { min: 1, max: 64 }),
    compression: envEnum(env, 'RELAY_COMPRESSION', COMPRESSIONS, 'none'),
    pollIntervalMs: envDurationMs(env, 'RELAY_POLL_INTERVAL', '1s', { minMs: 1 }),
    retryInitialMs: envDurationMs(env, 'RELAY_RETRY_INITIAL', '100ms', { minMs: 1 }),
    retryMaxMs: envDurationMs(env, 'RELAY_RETRY_MAX', '10s', { minMs: 1 }),
    readErrorPauseMs: envDurationMs(env, 'RELAY_READ_ERROR_PAUSE', '10s', { minMs: 1 }),
    checkpointIntervalMs: envDurationMs(env, 'RELAY_CHECKPOINT_INTERVAL', '200ms', { minMs: 1 }),
    backlogWarnRecords: envInt(env, 'WAL_BACKLOG_WARN', 1000, { min: 0 }),
    ageWarnMs: envDurationMs(env, 'WAL_OLDEST_AGE_WARN', '5s'),
    ackedSegments: envEnum(env, 'WAL_ACKED_SEGMENTS', ['delete', 'archive', 'keep'] as const, 'delete'),
    archiveDir,
  };
}
