import { decodeWalRecord } from '@usersys/event-schema';
import { WalLockedError, WalReader } from '@usersys/wal';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LoginAuditTrail, type AuditLossReason } from '../domain/audit-trail';
import type { AuditAttempt } from '../domain/ports';
import { WalAuditLog } from './wal-audit-log';

// The audit trail over the real audit WAL on the real filesystem.
const attempt = (username: string): AuditAttempt => ({ username, clientIp: '10.0.0.1', userAgent: null, result: 'success', reason: 'ok', traceId: null, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });

async function readAll(dir: string) {
  const reader = new WalReader(dir, null);
  const records = await reader.read(100_000, 64 * 1024 * 1024);
  await reader.close();
  return records.map((r) => decodeWalRecord(r.payload));
}

async function until(check: () => boolean) {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not met');
}

describe('WalAuditLog + LoginAuditTrail', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-wal-spec-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('group-commits records the logins did not wait for: none on disk when record() returns, all after one interval, few fsyncs', async () => {
    const dir = path.join(root, 'auth-gateway-audit-a');
    const log = await WalAuditLog.open(dir, { reopenAfterMs: 1000 });
    let written = 0;
    const trail = new LoginAuditTrail(log, 10_000, { onWritten: () => written++ });
    for (let i = 0; i < 200; i++) trail.record(attempt(`user_${i}`));
    // Every record() has returned, and not one fdatasync has completed yet.
    expect([log.groupCommits, written, trail.pending]).toEqual([0, 0, 200]);
    await trail.flush();
    expect(written).toBe(200);
    expect(log.groupCommits).toBeLessThanOrEqual(3); // group commit: a handful of writes + fsyncs, not 200
    const entries = await readAll(dir);
    expect(entries.map((e) => (e.kind === 'login-audit' ? e.record.username : e.kind))).toEqual(Array.from({ length: 200 }, (_, i) => `user_${i}`));
    expect(entries[0]).toMatchObject({ kind: 'login-audit', trace: { traceparent: attempt('x').traceparent } });
    await log.close();
  });

  it('keeps logins going without the WAL: refusals are counted, readiness fails, and it reopens by itself', async () => {
    const dir = path.join(root, 'blocked');
    await fs.writeFile(dir, 'not a directory'); // the WAL cannot be opened (like a broken or read-only volume)
    const unavailable: string[] = [];
    let reopened = 0;
    const log = await WalAuditLog.open(dir, { reopenAfterMs: 10, onUnavailable: (err) => unavailable.push(err.message), onReopened: () => reopened++ });
    const lost: AuditLossReason[] = [];
    const trail = new LoginAuditTrail(log, 100, { onLost: (reason) => lost.push(reason) });
    trail.record(attempt('during_outage'));
    await trail.flush();
    expect(lost).toEqual(['wal_error']);
    expect(unavailable).toHaveLength(1);
    expect(() => log.check()).toThrow(/audit WAL/);

    await fs.rm(dir);
    await until(() => reopened === 1);
    expect(() => log.check()).not.toThrow();
    trail.record(attempt('after_outage'));
    await trail.flush();
    expect(lost).toEqual(['wal_error']);
    expect((await readAll(dir)).map((e) => (e.kind === 'login-audit' ? e.record.username : e.kind))).toEqual(['after_outage']);
    await log.close();
  });

  it('refuses to start a second writer on the same directory (each gateway needs its own AUDIT_WAL_NAME)', async () => {
    const dir = path.join(root, 'shared');
    const first = await WalAuditLog.open(dir, { reopenAfterMs: 1000 });
    await expect(WalAuditLog.open(dir, { reopenAfterMs: 1000 })).rejects.toBeInstanceOf(WalLockedError);
    await first.close();
  });
});
