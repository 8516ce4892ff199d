import type { EventEnvelope } from '@usersys/event-schema';
import type { MarkResult, PendingMarkerValue } from '@usersys/pending-marker';
import type { CachedUser, ContactKind, Rejection, RequestRecord } from '@usersys/user-cache';
import type { CreateUserDeps } from '@usersys/user-command/src/domain/create-user';
import type { ConsumerRecord, ContactOwners, Contacts, UserView } from '@usersys/user-command/src/domain/ports';
import type { RequestOutcomeDeps } from '@usersys/user-command/src/domain/request-outcome';
import { KeyedSequencer } from '@usersys/user-command/src/domain/sequencer';

/** In-memory stand-ins for the ports, for unit tests of the use cases (integration tests use the real ones). */
export function fakeDeps() {
  const rows = new Map<string, CachedUser>();
  const cache = new Map<string, CachedUser>();
  const reservations = new Map<string, string>();
  const markers = new Map<string, PendingMarkerValue>();
  const rejections = new Map<string, Rejection>();
  const requests = new Map<string, RequestRecord>();
  const consumerRecords = new Map<string, ConsumerRecord>();
  const wal: EventEnvelope[] = [];
  /** auth:revoked-before per account id. */
  const revokedBefore = new Map<string, number>();
  /** The credential version the revocation names (tokens on an older one are refused), per account id. */
  const revokedFromVersion = new Map<string, number>();
  const failures = { redis: false, wal: false, db: false, marker: false, requestRecord: false, revocation: false };
  const steps: string[] = [];
  const redis = () => {
    if (failures.redis) throw new Error('redis down');
  };

  const deps: CreateUserDeps & RequestOutcomeDeps & { rejections: { read(u: string): Promise<Rejection | null> } } = {
    // A double submit's wait for the first sign-up's confirmation, shortened: the fakes confirm in microseconds.
    confirmationWaitMs: 300,
    directory: {
      usernameExists: async (u) => {
        if (failures.db) throw new Error('db down');
        return rows.has(u);
      },
      contactOwners: async (c: Contacts): Promise<ContactOwners> => {
        if (failures.db) throw new Error('db down');
        const all = [...rows.values()];
        return { email: all.find((r) => c.email !== undefined && r.email === c.email)?.username ?? null, phone: all.find((r) => c.phone !== undefined && r.phone === c.phone)?.username ?? null };
      },
      loadForCache: async (u) => rows.get(u) ?? null,
      view: async (u): Promise<UserView | null> => {
        const r = rows.get(u);
        return r ? { username: r.username, email: r.email, phone: r.phone, nickname: r.nickname, role: r.role, state: r.state, createdAt: r.updatedAt, updatedAt: r.updatedAt, lastLoginAt: null } : null;
      },
      stateOf: async (u) => {
        const r = rows.get(u);
        return r ? { state: r.state, updatedAt: new Date(r.updatedAt) } : null;
      },
    },
    cache: {
      read: async (u) => (failures.redis ? null : (cache.get(u) ?? null)),
      fill: async (user) => {
        if (!cache.has(user.username)) cache.set(user.username, user);
      },
    },
    reservations: {
      reserve: async (kind: ContactKind, value, username) => {
        redis();
        const key = `${kind}:${value}`;
        const holder = reservations.get(key);
        if (holder && holder !== username) return false;
        reservations.set(key, username);
        return true;
      },
      release: async (kind: ContactKind, value, username) => {
        if (!failures.redis && reservations.get(`${kind}:${value}`) === username) reservations.delete(`${kind}:${value}`);
      },
    },
    hasher: { hash: async () => `$2b$04$${'x'.repeat(53)}`, refuseIfBusy: () => undefined },
    markers: {
      markIfAbsent: async (u, value): Promise<MarkResult> => {
        redis();
        if (failures.marker) throw new Error('redis down at the marker step');
        const existing = markers.get(u);
        if (existing) return { created: false, ttlMs: 600_000, existing };
        markers.set(u, { ...value, confirmed: false });
        return { created: true, ttlMs: 30_000 };
      },
      confirm: async (u, eventId) => {
        redis();
        const value = markers.get(u);
        if (!value || value.eventId !== eventId) return false;
        markers.set(u, { ...value, confirmed: true });
        return true;
      },
      read: async (u) => {
        redis();
        const value = markers.get(u);
        return value ? { value, ttlRemainingMs: 1000 } : null;
      },
      clear: async (u, eventId) => {
        redis();
        const value = markers.get(u);
        if (!value) return 'absent';
        if (value.eventId !== eventId) return 'other';
        markers.delete(u);
        return 'cleared';
      },
    },
    requests: {
      write: async (id, record) => {
        redis();
        if (failures.requestRecord) throw new Error('redis down at the request record');
        requests.set(id, record);
      },
      read: async (id) => {
        redis();
        return requests.get(id) ?? null;
      },
    },
    sessions: {
      revokeBefore: async (accountId, atMs, minVersion) => {
        redis();
        if (failures.revocation) throw new Error('redis down at the revocation');
        revokedBefore.set(accountId, Math.max(atMs, revokedBefore.get(accountId) ?? 0));
        revokedFromVersion.set(accountId, Math.max(minVersion, revokedFromVersion.get(accountId) ?? 0));
      },
    },
    consumerRecords: {
      find: async (id) => {
        if (failures.db) throw new Error('db down');
        return consumerRecords.get(id) ?? null;
      },
    },
    events: {
      append: async (e) => {
        if (failures.wal) throw new Error('EFBIG');
        wal.push(e);
      },
    },
    rejections: { read: async (u) => rejections.get(u) ?? null },
    step: async (name, fn) => {
      steps.push(name);
      return fn();
    },
    sequencer: new KeyedSequencer(),
  };

  const addUser = (username: string, patch: Partial<CachedUser> = {}) => {
    const user: CachedUser = { username, accountId: `00000000-0000-4000-8000-${String(rows.size).padStart(12, '0')}`, credentialVersion: 0, email: `${username}@example.com`, phone: '+4915100000001', nickname: null, role: 'user', state: 'active', passwordHash: 'h', lastEventId: null, updatedAt: new Date(0).toISOString(), ...patch };
    rows.set(username, user);
    return user;
  };
  return { deps, rows, cache, reservations, markers, rejections, requests, consumerRecords, wal, revokedBefore, revokedFromVersion, failures, steps, addUser };
}
