import type { PrismaClient } from '@usersys/db';
import { createLogger, type Logger } from '@usersys/logger';
import { WalReader } from '@usersys/wal';
import { decodeEvent, type EventEnvelope } from '@usersys/event-schema';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig, type UserCommandConfig } from '@usersys/user-command/src/config';
import { userCommandService } from '@usersys/user-command/src/service';
import { startService, type RunningService } from '@usersys/service-kit';

export const TOKEN = 'test-internal-token';

/** A started user-command as the tests see it: its lifecycle, and the WAL path this fixture chose. */
export interface InProcessUserCommand extends RunningService {
  walPath: string;
  /** stop(), then remove the WAL directory. */
  cleanup(): Promise<void>;
}

/**
 * The real user-command (real Redis, PostgreSQL, WAL, bcrypt pool) in this process, on a free port
 * (or `overrides.port`, for replicas whose member URLs are fixed before they start). Tests observe it
 * from outside: HTTP, their own Redis/PostgreSQL clients, the WAL at `walPath`.
 * `log` replaces the service's logger (e.g. one writing into an array, to assert on log lines).
 */
export async function startInProcess(overrides: Partial<UserCommandConfig> & { databaseUrl: string }, log?: Logger): Promise<InProcessUserCommand> {
  const walDir = await mkdtemp(path.join(os.tmpdir(), 'user-command-wal-'));
  const config: UserCommandConfig = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    internalToken: TOKEN,
    bcryptCost: 4,
    logLevel: 'silent',
    walDir,
    walPath: path.join(walDir, 'user-command'),
    ...overrides,
  };
  const running = await startService(userCommandService, config, log ?? createLogger('user-command', { level: config.logLevel }), { port: config.port, host: config.host });
  return {
    ...running,
    walPath: config.walPath,
    cleanup: async () => {
      await running.stop();
      await rm(walDir, { recursive: true, force: true });
    },
  };
}

/** Every event in a WAL directory, in order. */
export async function walEvents(walPath: string): Promise<EventEnvelope[]> {
  const reader = new WalReader(walPath, null);
  const events: EventEnvelope[] = [];
  try {
    for (;;) {
      const batch = await reader.read(10_000);
      if (batch.length === 0) return events;
      events.push(...batch.map((r) => decodeEvent(r.payload)));
    }
  } finally {
    await reader.close();
  }
}

export interface Caller {
  id?: string;
  role?: 'anonymous' | 'user' | 'admin';
}

/** Calls user-command the way the gateway does (internal token, caller headers). */
export async function call(base: string, method: string, urlPath: string, body?: unknown, caller: Caller = {}, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'x-internal-token': TOKEN, 'x-caller-role': caller.role ?? 'anonymous', ...extra };
  if (caller.id) headers['x-caller-id'] = caller.id;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${urlPath}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

export function newUser(prefix = 'uc') {
  const id = randomUUID().replace(/-/g, '').slice(0, 12);
  const digits = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
  return { username: `${prefix}_${id}`, password: `pw-${id}`, email: `${prefix}.${id}@Example.com`, phone: `+49 151 ${digits}` };
}

/**
 * The `reason` columns of processed_events and consumer_parked_users come with user-consumer's
 * migration 20261202000000_request_outcomes; added here the same way (idempotent), so tests of the
 * request-state endpoint run on a database with or without that migration.
 */
export async function ensureRequestOutcomeColumns(prisma: PrismaClient): Promise<void> {
  await prisma.$executeRawUnsafe('ALTER TABLE processed_events ADD COLUMN IF NOT EXISTS reason varchar(64)');
  await prisma.$executeRawUnsafe('ALTER TABLE consumer_parked_users ADD COLUMN IF NOT EXISTS reason varchar(64)');
}
