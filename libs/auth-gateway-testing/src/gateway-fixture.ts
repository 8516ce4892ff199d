import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createLogger } from '@usersys/logger';
import { startService } from '@usersys/service-kit';
import bcrypt from 'bcryptjs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@usersys/auth-gateway/src/config';
import { authGatewayService } from '@usersys/auth-gateway/src/service';
import { scrapeMetric } from './metrics-scrape';

/**
 * One gateway instance in-process on a free port, against real Redis, PostgreSQL and Kafka
 * (integration tests). Tests observe it from outside only: its HTTP routes, its /metrics page, the
 * database and Redis through their own clients, and the audit WAL whose path this fixture chose.
 */
export interface TestGateway {
  url: string;
  /** The directory of this instance's audit WAL (WAL_DIR/AUDIT_WAL_NAME): read it with a WalReader. */
  auditWalPath: string;
  /** Current value of a counter or gauge as GET /metrics shows it (summed over samples whose labels include `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** The graceful shutdown SIGTERM runs: HTTP closes, the last-login queue and the audit WAL drain, the clients close. */
  stop(): Promise<void>;
}

/** Each instance gets its own audit WAL (AUDIT_WAL_NAME), under a temporary WAL_DIR unless the test gives one. */
export async function startTestGateway(env: Record<string, string>): Promise<TestGateway> {
  const tempWalDir = env.WAL_DIR ? null : mkdtempSync(path.join(os.tmpdir(), 'gateway-audit-wal-'));
  const config = loadConfig({ BCRYPT_COST: '4', LOG_LEVEL: 'silent', USER_COMMAND_URL: 'http://127.0.0.1:9', AUDIT_WAL_NAME: `auth-gateway-audit-${randomUUID()}`, ...(tempWalDir ? { WAL_DIR: tempWalDir } : {}), ...env });
  const running = await startService(authGatewayService, config, createLogger('auth-gateway', { level: config.logLevel }), { port: 0, host: '127.0.0.1' });
  return {
    url: running.url,
    auditWalPath: config.audit.walPath,
    metric: (name, labels) => scrapeMetric(running.url, name, labels),
    async stop() {
      await running.stop();
      if (tempWalDir) rmSync(tempWalDir, { recursive: true, force: true });
    },
  };
}

export function testPrisma(databaseUrl: string): PrismaClient {
  return createPrismaClient({ databaseUrl, poolMax: 2, applicationName: 'gateway-test' });
}

export function uniqueName(prefix = 'gw'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** A user row written straight into the test database (login tests do not depend on the write path). */
export async function seedUser(
  prisma: PrismaClient,
  opts: { username?: string; password?: string; role?: 'user' | 'admin'; state?: 'active' | 'disabled' | 'deleted'; cost?: number } = {},
): Promise<{ username: string; password: string }> {
  const username = opts.username ?? uniqueName();
  const password = opts.password ?? `pw-${randomUUID()}`;
  await prisma.user.create({
    data: {
      username,
      email: `${username}@example.com`,
      phone: `+49${Math.floor(Math.random() * 1e12)}`.slice(0, 16),
      passwordHash: bcrypt.hashSync(password, opts.cost ?? 4),
      role: opts.role ?? 'user',
      state: opts.state ?? 'active',
    },
  });
  return { username, password };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

export function login(base: string, username: string, password: string, headers: Record<string, string> = {}) {
  return postJson(`${base}/v1/auth/login`, { username, password }, headers);
}
