import type { PendingMarkerValue } from '@usersys/pending-marker';
import type { RequestRecord } from '@usersys/user-cache';
import { settleLostWal, WAL_LOST, type LostWalDeps } from './lost-wal';

// In-memory stand-ins for Redis and PostgreSQL: the rules of the settlement, not the adapters
// (lost-wal.int.spec.ts runs them against the real service, Redis and PostgreSQL).
function world() {
  const requests = new Map<string, RequestRecord>();
  const applied = new Set<string>();
  const markers = new Map<string, PendingMarkerValue>();
  const released: string[] = [];
  const rejections = new Map<string, { eventId: string; reason: string }>();
  const rows = new Map<string, { accountId: string; credentialVersion: number }>();
  const minVersions = new Map<string, number>();
  // A logical clock for what requestState compares: a rejection's `at` against the row's updatedAt.
  let now = 0;
  const rejectedAt = new Map<string, number>();
  const rowAt = new Map<string, number>();
  // Hooks where a test lets the surviving replica (and the consumer) act in the middle of a step.
  const hooks: { afterStateOf?: (u: string) => void; beforeLower?: (accountId: string) => void } = {};
  const deps: LostWalDeps = {
    requests: {
      write: async (id, record) => void requests.set(id, record),
      read: async (id) => requests.get(id) ?? null,
      async *all() {
        for (const [requestId, record] of [...requests]) yield { requestId, record };
      },
    },
    consumerRecords: { find: async (id) => (applied.has(id) ? { kind: 'processed', eventType: 'user.updated', username: 'x', outcome: 'applied', reason: null } : null) },
    markers: {
      read: async (u) => (markers.has(u) ? { value: markers.get(u) ?? null, ttlRemainingMs: 1000 } : null),
      clear: async (u, id) => (markers.get(u)?.eventId === id ? (markers.delete(u), 'cleared') : 'other'),
    },
    reservations: { release: async (kind, value, u) => void released.push(`${kind}:${value}:${u}`) },
    rejections: { record: async (u, r) => void (rejections.set(u, r), rejectedAt.set(u, ++now)) },
    accounts: {
      find: async (u) => rows.get(u) ?? null,
      stateOf: async (u) => {
        const state = rows.has(u) ? { state: 'active' } : null;
        hooks.afterStateOf?.(u);
        return state;
      },
    },
    sessions: {
      revokeBefore: async (accountId, _atMs, version) => void minVersions.set(accountId, Math.max(minVersions.get(accountId) ?? 0, version)),
      lowerMinVersion: async (accountId, version) => {
        hooks.beforeLower?.(accountId);
        if ((minVersions.get(accountId) ?? 0) <= version) return false;
        minVersions.set(accountId, version);
        return true;
      },
    },
  };
  const accept = (id: string, record: Partial<RequestRecord> & Pick<RequestRecord, 'username' | 'type'>) => requests.set(id, { acceptedAt: '2026-12-02T08:00:00.000Z', ...record });
  /** A sign-up on the surviving replica, at once applied by the consumer: refused while a marker holds the name (SET NX). */
  const signUpApplied = (u: string, id: string): boolean => {
    if (markers.has(u) || rows.has(u)) return false;
    accept(id, { username: u, type: 'create', wal: 'uc-1' });
    applied.add(id);
    rows.set(u, { accountId: `acc-${u}`, credentialVersion: 1 });
    rowAt.set(u, ++now);
    return true;
  };
  /** What GET /v1/users/:name/state answers (requestState): a rejection at or after the row's last change reads as the name's state. */
  const nameState = (u: string) => {
    if (markers.has(u) && !rows.has(u)) return 'pending';
    if (rejections.has(u) && (!rows.has(u) || rejectedAt.get(u)! >= rowAt.get(u)!)) return `rejected ${rejections.get(u)!.reason}`;
    return rows.has(u) ? 'active' : null;
  };
  return { deps, requests, applied, markers, released, rejections, rows, minVersions, accept, hooks, signUpApplied, nameState };
}

describe('settleLostWal (the operator action for a lost WAL)', () => {
  it('finds exactly the requests of that WAL that PostgreSQL does not know; without --apply it changes nothing', async () => {
    const w = world();
    w.accept('lost-1', { username: 'ann', type: 'update', wal: 'uc-2' });
    w.accept('shipped', { username: 'ann', type: 'update', wal: 'uc-2' });
    w.applied.add('shipped');
    w.accept('other-wal', { username: 'bob', type: 'update', wal: 'uc-1' });
    w.accept('never-written', { username: 'cid', type: 'update', wal: 'uc-2', notWritten: 'wal_unavailable' });
    const report = await settleLostWal(w.deps, 'uc-2', { apply: false });
    expect(report.lost.map((r) => r.requestId)).toEqual(['lost-1']);
    expect(w.requests.get('lost-1')?.notWritten).toBeUndefined();
  });

  it('a lost sign-up: rejected wal_lost, its marker cleared, its contacts released, the name reads rejected', async () => {
    const w = world();
    w.accept('signup', { username: 'dora', type: 'create', wal: 'uc-2' });
    w.markers.set('dora', { eventId: 'signup', eventType: 'user.created', createdAt: '', confirmed: true, contacts: { email: 'd@x.io', phone: '+100' } });
    const report = await settleLostWal(w.deps, 'uc-2', { apply: true });
    expect(w.requests.get('signup')).toMatchObject({ notWritten: WAL_LOST });
    expect(w.markers.has('dora')).toBe(false);
    expect(w.released).toEqual(['email:d@x.io:dora', 'phone:+100:dora']);
    expect(w.rejections.get('dora')).toEqual({ eventId: 'signup', reason: WAL_LOST });
    expect(report.signUpsReleased).toEqual(['dora']);
    // Settled once: a second run finds nothing.
    expect((await settleLostWal(w.deps, 'uc-2', { apply: true })).lost).toEqual([]);
  });

  it('leaves a name alone that a newer sign-up holds', async () => {
    const w = world();
    w.accept('old', { username: 'eve', type: 'create', wal: 'uc-2' });
    w.markers.set('eve', { eventId: 'newer', eventType: 'user.created', createdAt: '' });
    await settleLostWal(w.deps, 'uc-2', { apply: true });
    expect(w.requests.get('old')).toMatchObject({ notWritten: WAL_LOST });
    expect(w.markers.get('eve')?.eventId).toBe('newer');
    expect(w.rejections.has('eve')).toBe(false);
  });

  it('a lost password change no longer keeps logins out, unless another accepted change for the name is still on its way', async () => {
    const w = world();
    w.rows.set('fay', { accountId: 'acc-fay', credentialVersion: 3 });
    w.rows.set('gus', { accountId: 'acc-gus', credentialVersion: 7 });
    w.minVersions.set('acc-fay', 4).set('acc-gus', 8);
    w.accept('fay-pw', { username: 'fay', type: 'update', wal: 'uc-2' });
    w.accept('gus-pw', { username: 'gus', type: 'update', wal: 'uc-2' });
    w.accept('gus-pw-again', { username: 'gus', type: 'update', wal: 'uc-1' }); // accepted by the new owner, not applied yet
    const report = await settleLostWal(w.deps, 'uc-2', { apply: true });
    expect(w.minVersions.get('acc-fay')).toBe(3);
    expect(w.minVersions.get('acc-gus')).toBe(8);
    expect(report.revocationsLowered).toEqual(['fay']);
  });

  // The surviving replica keeps taking writes for the same names while the settlement runs.
  describe('interleaved with writes the surviving replica accepts', () => {
    it('a new sign-up for the freed name, accepted and applied between two steps, ends active, not rejected wal_lost', async () => {
      const w = world();
      w.accept('lost', { username: 'hal', type: 'create', wal: 'uc-2' });
      w.markers.set('hal', { eventId: 'lost', eventType: 'user.created', createdAt: '', confirmed: true });
      // The client retries its sign-up the moment the settlement has looked for a row.
      let retried = false;
      w.hooks.afterStateOf = (u) => void (retried = w.signUpApplied(u, 'new'));
      await settleLostWal(w.deps, 'uc-2', { apply: true });
      if (!retried) expect(w.signUpApplied('hal', 'new')).toBe(true); // refused while the marker held the name: it gets in now
      expect(w.nameState('hal')).toBe('active');
      expect(w.requests.get('new')?.notWritten).toBeUndefined();
    });

    it('a password change accepted after the first look for writes in flight keeps the version its revocation waits for', async () => {
      const w = world();
      w.rows.set('ida', { accountId: 'acc-ida', credentialVersion: 3 });
      w.minVersions.set('acc-ida', 4); // raised by the lost change
      w.accept('lost-pw', { username: 'ida', type: 'update', wal: 'uc-2' });
      // Accepted by the new owner just before the settlement lowers: its raise (to 4 again) changes nothing.
      w.hooks.beforeLower = (accountId) => {
        w.accept('new-pw', { username: 'ida', type: 'update', wal: 'uc-1' });
        void w.deps.sessions.revokeBefore(accountId, 0, 4);
      };
      const report = await settleLostWal(w.deps, 'uc-2', { apply: true });
      expect(w.minVersions.get('acc-ida')).toBe(4);
      expect(report.revocationsLowered).toEqual([]);
      expect(w.requests.get('lost-pw')).toMatchObject({ notWritten: WAL_LOST });
    });
  });
});
