import { envDurationMs, envEnum, envInt, envPort, envString, loadInfraConfig, type InfraConfig } from '@usersys/config';
import path from 'node:path';

export interface RelayConfig extends InfraConfig {
  port: number;
  host: string;
  walRoot: string;
  batchMaxRecords: number;
  batchMaxBytes: number;
  pollIntervalMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
  compression: 'none' | 'gzip';
  backlogWarnRecords: number;
  ageWarnMs: number;
  pruneSegments: boolean;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): RelayConfig {
  const infra = loadInfraConfig(env);
  return {
    ...infra,
    port: envPort(env, 'WAL_RELAY_PORT', 9464),
    host: envString(env, 'WAL_RELAY_HOST', '127.0.0.1'),
    walRoot: path.resolve(infra.walDir),
    batchMaxRecords: envInt(env, 'RELAY_BATCH_MAX_RECORDS', 1000, { min: 1, max: 100_000 }),
    batchMaxBytes: envInt(env, 'RELAY_BATCH_MAX_BYTES', 1024 * 1024, { min: 1024 }),
    pollIntervalMs: envDurationMs(env, 'RELAY_POLL_INTERVAL', '5ms', { minMs: 1 }),
    retryInitialMs: envDurationMs(env, 'RELAY_RETRY_INITIAL', '100ms', { minMs: 1 }),
    retryMaxMs: envDurationMs(env, 'RELAY_RETRY_MAX', '10s', { minMs: 1 }),
    compression: envEnum(env, 'RELAY_COMPRESSION', ['none', 'gzip'] as const, 'none'),
    backlogWarnRecords: envInt(env, 'WAL_BACKLOG_WARN', 1000, { min: 0 }),
    ageWarnMs: envDurationMs(env, 'WAL_OLDEST_AGE_WARN', '5s'),
    pruneSegments: envEnum(env, 'WAL_ACKED_SEGMENTS', ['delete', 'keep'] as const, 'delete') === 'delete',
  };
}
