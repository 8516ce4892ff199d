import { changeAccountAccess } from './account-access';
import { createUser } from './create-user';
import { KeyedSequencer } from './sequencer';
import { deleteUser } from './delete-user';
import { getUser } from './get-user';
import { requestOutcome } from './request-outcome';
import { requestState } from './request-state';
import { AppendOutcomeUnknownError } from './ports';
import { fakeDeps } from '@usersys/user-command-testing/domain-fakes';
import { updateUser } from './update-user';

const signUp = (username = 'alice', patch: Record<string, string> = {}) => ({ username, password: 'correct horse', email: `${username}@example.com`, phone: '+4915112345678', ...patch });
const alice = { id: 'alice', role: 'user' as const };
const admin = { id: 'root', role: 'admin' as const };

describe('create', () => {
  it('accepts a new user: one event, marker with event and contacts, contacts reserved', async () => {
    const f = fakeDeps();
    const result = await createUser(f.deps, signUp(), {});
    expect(result.outcome).toBe('accepted');
    expect(f.wal).toHaveLength(1);
    expect(f.wal[0]).toMatchObject({ type: 'user.created', username: 'alice', payload: { email: 'alice@example.com', role: 'user' } });
    expect(JSON.stringify(f.wal[0])).not.toContain('correct horse');
    expect(f.markers.get('alice')).toMatchObject({ eventId: f.wal[0].eventId, contacts: { email: 'alice@example.com', phone: '+4915112345678' } });
    expect(f.reservations.get('email:alice@example.com')).toBe('alice');
    expect(f.requests.get(f.wal[0].eventId)).toEqual({ type: 'create', username: 'alice', acceptedAt: f.wal[0].occurredAt });
    expect(result).toEqual({ outcome: 'accepted', eventId: f.wal[0].eventId });
    expect(f.steps).toEqual(['checkUserExist', 'ensureContactUniqueness', 'hashPassword', 'markUserPendingCreate', 'reassertContacts', 'confirmUsernameFree', 'recordRequest', 'walAppend', 'confirmPendingMarker']);
    expect(f.markers.get('alice')?.confirmed).toBe(true);
  });

  it('workers saturated: the sign-up is refused before any step (nothing looked up, reserved or written)', async () => {
    const f = fakeDeps();
    const busy = Object.assign(new Error('busy'), { code: 110014, status: 503 });
    f.deps.hasher.refuseIfBusy = () => {
      throw busy;
    };
    await expect(createUser(f.deps, signUp(), {})).rejects.toBe(busy);
    await expect(updateUser(f.deps, alice, 'alice', { password: 'another horse' }, {})).rejects.toBe(busy);
    expect(f.steps).toEqual([]);
    expect(f.reservations.size).toBe(0);
    expect(f.wal).toEqual([]);
  });

  it('one winner per username: a row committed (and its marker cleared) while this sign-up hashed → 409, marker given back, nothing written', async () => {
    const f = fakeDeps();
    // The earlier sign-up's row lands and the consumer clears its marker while this one is hashing:
    // the first check saw no row, and SET NX then finds no marker.
    f.deps.hasher.hash = async () => {
      f.addUser('alice', { email: 'first@example.com', phone: '+4915100000007' });
      return `$2b$04$${'x'.repeat(53)}`;
    };
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110002, status: 409, details: { field: 'username' } });
    expect(f.markers.has('alice')).toBe(false);
    expect(f.reservations.size).toBe(0);
    expect(f.requests.size).toBe(0);
    expect(f.wal).toHaveLength(0);
  });

  it('the second look at the username reads the database, not the cache', async () => {
    const f = fakeDeps();
    let asked = 0;
    f.deps.directory.usernameExists = async () => asked++ > 0; // free at the first check, taken at the second
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110002 });
    expect(asked).toBe(2);
    expect(f.wal).toHaveLength(0);
  });

  it('database down at the second look: 503, marker given back, nothing written', async () => {
    const f = fakeDeps();
    f.deps.hasher.hash = async () => {
      f.failures.db = true;
      return `$2b$04$${'x'.repeat(53)}`;
    };
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110009, status: 503 });
    expect(f.markers.has('alice')).toBe(false);
    expect(f.reservations.size).toBe(0);
    expect(f.wal).toHaveLength(0);
  });

  it('Redis fails writing the request record: 503, no WAL record, marker and reservations given back', async () => {
    const f = fakeDeps();
    f.failures.requestRecord = true;
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110006, status: 503 });
    expect(f.wal).toHaveLength(0);
    expect(f.markers.has('alice')).toBe(false);
    expect(f.reservations.size).toBe(0);
    expect(f.steps.at(-1)).toBe('recordRequest');
  });

  it('a sign-up whose process died after its request record, before the WAL: the retry is not answered 202 with that id; once the provisional marker expired the retry is accepted', async () => {
    const f = fakeDeps();
    const append = f.deps.events.append;
    f.deps.events.append = () => new Promise<void>(() => undefined); // the process "dies" in the append
    void createUser(f.deps, signUp(), {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    const dead = f.markers.get('alice')!;
    expect(dead.confirmed).toBe(false);
    expect(f.requests.has(dead.eventId)).toBe(true); // recorded, but its event is not in the WAL
    // The process restarted: a fresh per-name sequencer, a working WAL.
    f.deps.events.append = append;
    f.deps.sequencer = new KeyedSequencer();
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110011, status: 409 });
    expect(f.wal).toHaveLength(0);
    f.markers.delete('alice'); // PROVISIONAL_MARKER_TTL_MS later
    const retry = await createUser(f.deps, signUp(), {});
    expect(retry).toMatchObject({ outcome: 'accepted' });
    expect(retry.eventId).not.toBe(dead.eventId);
    expect(f.markers.get('alice')).toMatchObject({ eventId: retry.eventId, confirmed: true });
    // A retry now is answered with that request id (its event is in the WAL), without a second event.
    expect(await createUser(f.deps, signUp(), {})).toMatchObject({ outcome: 'in_progress', eventId: retry.eventId });
    expect(f.wal).toHaveLength(1);
  });

  it('a double submit while the first sign-up is still on its way to the WAL waits for it and gets its request id, with one event', async () => {
    const f = fakeDeps();
    const append = f.deps.events.append;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    f.deps.events.append = async (...args) => {
      await gate; // the first sign-up's group commit is slow
      return append(...args);
    };
    const first = createUser(f.deps, signUp(), {});
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(f.markers.get('alice')?.confirmed).toBe(false);
    const second = createUser(f.deps, signUp(), {});
    setTimeout(release, 100);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ outcome: 'accepted' });
    expect(b).toMatchObject({ outcome: 'in_progress', eventId: a.eventId });
    expect(f.wal).toHaveLength(1);
  });

  it('a double submit whose first sign-up fails before the WAL becomes the sign-up itself', async () => {
    const f = fakeDeps();
    const append = f.deps.events.append;
    let fail!: () => void;
    const gate = new Promise<void>((_, reject) => (fail = () => reject(new Error('disk full'))));
    f.deps.events.append = async () => gate;
    const first = createUser(f.deps, signUp(), {}).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = createUser(f.deps, signUp(), {});
    setTimeout(() => {
      f.deps.events.append = append;
      fail();
    }, 60);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBeInstanceOf(Error);
    expect(b).toMatchObject({ outcome: 'accepted' });
    expect(f.wal).toHaveLength(1);
    expect(f.wal[0].eventId).toBe(b.eventId);
  });

  it('a marker left behind by a sign-up that never recorded its request (Redis failed, also for the give-back) does not answer the retry 202 with that phantom id', async () => {
    const f = fakeDeps();
    f.failures.requestRecord = true;
    const clear = f.deps.markers.clear;
    f.deps.markers.clear = async () => {
      throw new Error('redis down');
    };
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110006, status: 503 });
    const phantom = f.markers.get('alice')!.eventId;
    f.failures.requestRecord = false;
    f.deps.markers.clear = clear;
    // Redis is back; the client retries at once: that sign-up might still be about to record its
    // request, so no 202 for it yet (409 pending), and nothing of the phantom is given away.
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110011, status: 409 });
    expect(f.markers.get('alice')?.eventId).toBe(phantom);
    expect(f.wal).toHaveLength(0);
    // Later (the provisional marker expired), the retry is accepted.
    f.markers.delete('alice');
    const retry = await createUser(f.deps, signUp(), {});
    expect(retry.eventId).not.toBe(phantom);
    expect(retry.outcome).toBe('accepted');
    expect(f.wal.map((e) => e.eventId)).toEqual([retry.eventId]);
    expect(f.requests.has(retry.eventId)).toBe(true);
    expect(f.markers.get('alice')?.eventId).toBe(retry.eventId);
  });

  it('a marker that vanished between SET NX and reading it back (its event just finished) is tried once more', async () => {
    const f = fakeDeps();
    const real = f.deps.markers.markIfAbsent;
    let calls = 0;
    f.deps.markers.markIfAbsent = async (u, v) => (calls++ === 0 ? { created: false, ttlMs: 0, existing: null } : real(u, v));
    expect(await createUser(f.deps, signUp(), {})).toMatchObject({ outcome: 'accepted' });
    expect(calls).toBe(2);
    expect(f.wal).toHaveLength(1);
  });

  it('answers a taken username from the cache without asking the database, and releases the reservations', async () => {
    const f = fakeDeps();
    f.cache.set('alice', { ...f.addUser('bob'), username: 'alice', email: 'other@example.com', phone: '+4915100000009' });
    f.deps.directory.usernameExists = async () => {
      throw new Error('must not be asked');
    };
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110002, details: { field: 'username' } });
    expect(f.reservations.size).toBe(0);
    expect(f.wal).toHaveLength(0);
  });

  it('refuses an email or phone a persisted user or a concurrent sign-up holds, naming the field', async () => {
    const f = fakeDeps();
    f.addUser('bob', { email: 'alice@example.com' });
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110003, details: { field: 'email' } });
    f.reservations.set('phone:+4915199999999', 'carol');
    await expect(createUser(f.deps, signUp('dave', { phone: '+4915199999999' }), {})).rejects.toMatchObject({ code: 110004, details: { field: 'phone' } });
    expect([...f.reservations.entries()]).toEqual([['phone:+4915199999999', 'carol']]);
    expect(f.wal).toHaveLength(0);
  });

  it('answers a retry of an in-flight sign-up with its event and no second event; a different sign-up for the name gets 409', async () => {
    const f = fakeDeps();
    const first = await createUser(f.deps, signUp(), {});
    const retry = await createUser(f.deps, signUp(), {});
    expect(retry).toEqual({ outcome: 'in_progress', eventId: (first as { eventId: string }).eventId, ttlRemainingMs: 600_000 });
    expect(f.reservations.get('email:alice@example.com')).toBe('alice');
    await expect(createUser(f.deps, signUp('alice', { email: 'mallory@example.com' }), {})).rejects.toMatchObject({ code: 110002 });
    expect(f.reservations.has('email:mallory@example.com')).toBe(false);
    expect(f.reservations.get('phone:+4915112345678')).toBe('alice'); // shared with the in-flight sign-up: kept
    expect(f.wal).toHaveLength(1);
  });

  it('Redis down at the marker step: 503, no event, reservations released', async () => {
    const f = fakeDeps();
    f.failures.marker = true;
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110006, status: 503 });
    expect(f.wal).toHaveLength(0);
    expect(f.reservations.size).toBe(0);
  });

  it('WAL append failure: 503, marker and reservations given back; the retry gets a new, durable request, never the failed one', async () => {
    const f = fakeDeps();
    f.failures.wal = true;
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110007, status: 503 });
    const failedId = [...f.requests.keys()][0];
    expect(f.reservations.size).toBe(0);
    // Whoever already holds that id (a double submit answered with it) reads a final answer, not a pending that never ends.
    expect(f.requests.get(failedId)).toMatchObject({ notWritten: 'wal_unavailable' });
    expect(await requestOutcome(f.deps, failedId)).toEqual({ requestId: failedId, type: 'create', username: 'alice', state: 'rejected', reason: 'wal_unavailable' });
    // The client does what the 503 says: retry. A 202 must name an event that is in the WAL.
    f.failures.wal = false;
    const retry = await createUser(f.deps, signUp(), {});
    expect(retry.outcome).toBe('accepted');
    expect(retry.eventId).not.toBe(failedId);
    expect(f.wal.map((e) => e.eventId)).toEqual([retry.eventId]);
    expect(f.markers.get('alice')?.eventId).toBe(retry.eventId);
  });

  it('WAL append failed after the bytes reached the log (fdatasync): never a 503, but 500 outcome unknown naming the request to follow', async () => {
    const f = fakeDeps();
    f.deps.events.append = async (e) => {
      f.wal.push(e); // in the file: the relay may ship it
      throw new AppendOutcomeUnknownError(new Error('EIO: fdatasync'));
    };
    const err = await createUser(f.deps, signUp(), {}).catch((e: unknown) => e);
    const requestId = f.wal[0].eventId;
    expect(err).toMatchObject({ code: 110013, status: 500, details: { requestId }, headers: { Location: `/v1/requests/${requestId}` } });
    expect(f.requests.get(requestId)).toMatchObject({ type: 'create', username: 'alice' }); // readable: pending until the consumer decides
    const update = await updateUser(f.deps, alice, (f.addUser('alice'), 'alice'), { nickname: 'x' }, {}).catch((e: unknown) => e);
    expect(update).toMatchObject({ code: 110013, status: 500, details: { requestId: f.wal[1].eventId } });
  });

  it('database down for the lookups: 503 and nothing reserved', async () => {
    const f = fakeDeps();
    f.failures.db = true;
    await expect(createUser(f.deps, signUp(), {})).rejects.toMatchObject({ code: 110009 });
    expect(f.reservations.size).toBe(0);
  });
});

describe('update and delete', () => {
  it('only the user or an admin may update or delete; only an admin may force delete', async () => {
    const f = fakeDeps();
    f.addUser('alice');
    const anonymous = { role: 'anonymous' as const };
    await expect(updateUser(f.deps, { id: 'bob', role: 'user' }, 'alice', { nickname: 'x' }, {})).rejects.toMatchObject({ status: 403 });
    await expect(updateUser(f.deps, anonymous, 'alice', { nickname: 'x' }, {})).rejects.toMatchObject({ status: 403 });
    await expect(deleteUser(f.deps, { id: 'bob', role: 'user' }, 'alice', 'soft', {})).rejects.toMatchObject({ status: 403 });
    await expect(deleteUser(f.deps, alice, 'alice', 'force', {})).rejects.toMatchObject({ status: 403 });
    await expect(getUser(f.deps, { id: 'bob', role: 'user' }, 'alice')).rejects.toMatchObject({ status: 403 });
    expect(f.wal).toHaveLength(0);
    await updateUser(f.deps, admin, 'alice', { nickname: 'x' }, {});
    await deleteUser(f.deps, alice, 'alice', 'soft', {});
    await deleteUser(f.deps, admin, 'alice', 'force', {});
    expect(f.wal.map((e) => e.type)).toEqual(['user.updated', 'user.deleted', 'user.force_deleted']);
    // Each accepted write is recorded under its request id (= event id) before the WAL append.
    expect(f.wal.map((e) => f.requests.get(e.eventId))).toEqual(['update', 'delete', 'force_delete'].map((type) => ({ type, username: 'alice', acceptedAt: expect.any(String) })));
  });

  it('Redis fails writing an update\'s request record: 503, nothing in the WAL, the new email released', async () => {
    const f = fakeDeps();
    f.addUser('alice');
    f.failures.requestRecord = true;
    await expect(updateUser(f.deps, alice, 'alice', { email: 'new@example.com' }, {})).rejects.toMatchObject({ code: 110006, status: 503 });
    await expect(deleteUser(f.deps, alice, 'alice', 'soft', {})).rejects.toMatchObject({ code: 110006 });
    expect(f.wal).toHaveLength(0);
    expect(f.reservations.size).toBe(0);
  });

  it('404 for an unknown or soft-deleted user, 409 while it is pending creation; no event', async () => {
    const f = fakeDeps();
    await expect(updateUser(f.deps, alice, 'alice', { nickname: 'x' }, {})).rejects.toMatchObject({ code: 110005, status: 404 });
    await expect(deleteUser(f.deps, alice, 'alice', 'soft', {})).rejects.toMatchObject({ status: 404 });
    await createUser(f.deps, signUp(), {});
    await expect(updateUser(f.deps, alice, 'alice', { nickname: 'x' }, {})).rejects.toMatchObject({ code: 110011, status: 409 });
    await expect(deleteUser(f.deps, admin, 'alice', 'force', {})).rejects.toMatchObject({ status: 409 });
    f.addUser('gone', { state: 'deleted' });
    await expect(deleteUser(f.deps, admin, 'gone', 'soft', {})).rejects.toMatchObject({ status: 404 });
    expect(f.wal.map((e) => e.type)).toEqual(['user.created']);
    await deleteUser(f.deps, admin, 'gone', 'force', {}); // a force delete purges a soft-deleted row
    expect(f.wal.map((e) => e.type)).toEqual(['user.created', 'user.force_deleted']);
  });

  it('reserves a changed email like a sign-up, skips the unchanged phone, hashes a new password', async () => {
    const f = fakeDeps();
    f.addUser('alice');
    f.addUser('bob', { email: 'bob@example.com', phone: '+4915100000002' });
    await expect(updateUser(f.deps, alice, 'alice', { email: 'bob@example.com' }, {})).rejects.toMatchObject({ code: 110003 });
    const { eventId } = await updateUser(f.deps, alice, 'alice', { email: 'new@example.com', phone: '+4915100000001', password: 'another secret' }, {});
    expect(f.reservations.get('email:new@example.com')).toBe('alice');
    expect(f.reservations.has('phone:+4915100000001')).toBe(false);
    expect(f.wal[0]).toMatchObject({ eventId, type: 'user.updated', payload: { email: 'new@example.com', passwordHash: expect.stringMatching(/^\$2b\$/) } });
    expect(JSON.stringify(f.wal[0])).not.toContain('another secret');
  });

  it('keeps arrival order per username in the WAL even when an earlier request hashes longer', async () => {
    const f = fakeDeps();
    f.addUser('alice');
    let releaseHash!: () => void;
    f.deps.hasher.hash = () => new Promise((resolve) => (releaseHash = () => resolve(`$2b$04$${'y'.repeat(53)}`)));
    const update = updateUser(f.deps, alice, 'alice', { password: 'a new password' }, {});
    await new Promise((r) => setImmediate(r));
    const del = deleteUser(f.deps, alice, 'alice', 'soft', {});
    await new Promise((r) => setImmediate(r));
    expect(f.wal).toHaveLength(0); // the delete waits for the update that arrived first
    releaseHash();
    await Promise.all([update, del]);
    expect(f.wal.map((e) => e.type)).toEqual(['user.updated', 'user.deleted']);
    expect(f.deps.sequencer.size).toBe(0);
  });
});

describe('accounts and revocation at the 202', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('a sign-up creates a new account id; every later event carries the account id user-command saw', async () => {
    const f = fakeDeps();
    await createUser(f.deps, signUp('alice'), {});
    await createUser(f.deps, signUp('bob', { email: 'bob@example.com', phone: '+4915112345679' }), {});
    const [a, b] = f.wal;
    expect(a.accountId).toMatch(UUID);
    expect(b.accountId).toMatch(UUID);
    expect(a.accountId).not.toBe(b.accountId);
    const carol = f.addUser('carol');
    await updateUser(f.deps, admin, 'carol', { nickname: 'C' }, {});
    await changeAccountAccess(f.deps, admin, 'carol', 'disable', {});
    await changeAccountAccess(f.deps, admin, 'carol', 'enable', {});
    await deleteUser(f.deps, admin, 'carol', 'soft', {});
    await deleteUser(f.deps, admin, 'carol', 'force', {});
    expect(f.wal.slice(2).map((e) => [e.type, e.accountId])).toEqual(['user.updated', 'user.disabled', 'user.enabled', 'user.deleted', 'user.force_deleted'].map((t) => [t, carol.accountId]));
  });

  it('a password change, delete, force delete and disable revoke the sessions after the request record, before the WAL; other changes do not', async () => {
    const f = fakeDeps();
    const carol = f.addUser('carol');
    const before = Date.now();
    await updateUser(f.deps, admin, 'carol', { nickname: 'C' }, {});
    await changeAccountAccess(f.deps, admin, 'carol', 'enable', {});
    expect(f.revokedBefore.size).toBe(0);
    f.steps.length = 0;
    await updateUser(f.deps, { id: 'carol', role: 'user' }, 'carol', { password: 'a new password' }, {});
    expect(f.steps).toEqual(['checkUserExist', 'ensureContactUniqueness', 'hashPassword', 'recordRequest', 'revokeSessions', 'walAppend', 'revokeOldCredentials']);
    expect(f.revokedBefore.get(carol.accountId)).toBeGreaterThanOrEqual(before);
    for (const run of [() => changeAccountAccess(f.deps, admin, 'carol', 'disable', {}), () => deleteUser(f.deps, admin, 'carol', 'soft', {}), () => deleteUser(f.deps, admin, 'carol', 'force', {})]) {
      f.steps.length = 0;
      await run();
      expect(f.steps.slice(-4)).toEqual(['recordRequest', 'revokeSessions', 'walAppend', 'revokeOldCredentials']);
    }
    expect([...f.revokedBefore.keys()]).toEqual([carol.accountId]);
  });

  it('the revocation also names the credential version the change brings, so a login with the old password before it is applied is revoked too', async () => {
    const f = fakeDeps();
    const carol = f.addUser('carol', { credentialVersion: 2 });
    await updateUser(f.deps, { id: 'carol', role: 'user' }, 'carol', { password: 'a new password' }, {});
    expect(f.revokedFromVersion.get(carol.accountId)).toBe(3);
  });

  it('names that version only once the change is in the WAL: a change never written must not keep every new login refused', async () => {
    const f = fakeDeps();
    const carol = f.addUser('carol', { credentialVersion: 2 });
    f.failures.wal = true;
    await expect(updateUser(f.deps, { id: 'carol', role: 'user' }, 'carol', { password: 'a new password' }, {})).rejects.toMatchObject({ status: 503 });
    expect(f.revokedBefore.has(carol.accountId)).toBe(true); // the sessions are still logged out (harmless)
    expect(f.revokedFromVersion.get(carol.accountId) ?? 0).toBe(0);
  });

  it('Redis failing at the revocation: 503, nothing in the WAL, the new email released, the request reads rejected', async () => {
    const f = fakeDeps();
    f.addUser('carol');
    f.failures.revocation = true;
    await expect(updateUser(f.deps, admin, 'carol', { email: 'new@example.com', password: 'a new password' }, {})).rejects.toMatchObject({ code: 110006, status: 503 });
    await expect(deleteUser(f.deps, admin, 'carol', 'soft', {})).rejects.toMatchObject({ code: 110006 });
    await expect(deleteUser(f.deps, admin, 'carol', 'force', {})).rejects.toMatchObject({ code: 110006 });
    await expect(changeAccountAccess(f.deps, admin, 'carol', 'disable', {})).rejects.toMatchObject({ code: 110006 });
    expect(f.wal).toHaveLength(0);
    expect(f.reservations.size).toBe(0);
    expect([...f.requests.values()].map((r) => r.notWritten)).toEqual(['redis_unavailable', 'redis_unavailable', 'redis_unavailable', 'redis_unavailable']);
    // Changes that revoke nothing do not need that step.
    await changeAccountAccess(f.deps, admin, 'carol', 'enable', {});
    expect(f.wal.map((e) => e.type)).toEqual(['user.enabled']);
  });

  it('disable and enable: admin only, 404 for an absent or deleted user, 409 while pending; the request type is disable / enable', async () => {
    const f = fakeDeps();
    f.addUser('carol');
    await expect(changeAccountAccess(f.deps, { id: 'carol', role: 'user' }, 'carol', 'disable', {})).rejects.toMatchObject({ code: 110010, status: 403 });
    await expect(changeAccountAccess(f.deps, { role: 'anonymous' }, 'carol', 'enable', {})).rejects.toMatchObject({ status: 403 });
    await expect(changeAccountAccess(f.deps, admin, 'nobody', 'disable', {})).rejects.toMatchObject({ code: 110005, status: 404 });
    f.addUser('gone', { state: 'deleted' });
    await expect(changeAccountAccess(f.deps, admin, 'gone', 'enable', {})).rejects.toMatchObject({ status: 404 });
    await createUser(f.deps, signUp(), {});
    await expect(changeAccountAccess(f.deps, admin, 'alice', 'disable', {})).rejects.toMatchObject({ code: 110011, status: 409 });
    const disabled = await changeAccountAccess(f.deps, admin, 'carol', 'disable', {});
    f.rows.get('carol')!.state = 'disabled';
    f.cache.delete('carol');
    const enabled = await changeAccountAccess(f.deps, admin, 'carol', 'enable', {}); // a disabled user exists
    expect(f.wal.slice(1).map((e) => [e.type, e.payload])).toEqual([['user.disabled', { requestedBy: 'root' }], ['user.enabled', { requestedBy: 'root' }]]);
    expect(await requestOutcome(f.deps, disabled.eventId)).toMatchObject({ type: 'disable', state: 'pending' });
    expect(await requestOutcome(f.deps, enabled.eventId)).toMatchObject({ type: 'enable', state: 'pending' });
  });
});

describe('request state', () => {
  it('pending from the marker, rejected with the reason, active or deleted from the row, tombstone after a purge', async () => {
    const f = fakeDeps();
    expect(await requestState(f.deps, 'alice')).toBeNull();
    await createUser(f.deps, signUp(), {});
    expect(await requestState(f.deps, 'alice')).toEqual({ state: 'pending' });
    f.markers.clear();
    f.rejections.set('alice', { eventId: 'e', reason: 'email taken by a concurrent sign-up', at: new Date().toISOString() });
    expect(await requestState(f.deps, 'alice')).toEqual({ state: 'rejected', reason: 'email taken by a concurrent sign-up' });
    f.rejections.clear();
    f.addUser('alice');
    expect(await requestState(f.deps, 'alice')).toEqual({ state: 'active' });
    // A marker left beside the row (its clear was lost, or a second sign-up of the taken name is in flight) is not pending.
    f.markers.set('alice', { eventId: 'e2', eventType: 'user.created', createdAt: new Date().toISOString() });
    expect(await requestState(f.deps, 'alice')).toEqual({ state: 'active' });
    f.markers.clear();
    f.rows.get('alice')!.state = 'deleted';
    expect(await requestState(f.deps, 'alice')).toEqual({ state: 'deleted' });
    f.rows.delete('alice');
    f.cache.set('alice', { ...f.addUser('x'), username: 'alice', state: 'deleted' });
    expect(await requestState(f.deps, 'alice')).toEqual({ state: 'deleted' });
  });
});
