import { isRequestId, requestOutcome, type RequestOutcome } from './request-outcome';
import type { ConsumerRecord } from './ports';
import { fakeDeps } from '@usersys/user-command-testing/domain-fakes';

const ID = '6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f';
const accepted = { type: 'create' as const, username: 'alice', acceptedAt: '2026-12-01T10:00:00.000Z' };

// Every row of the mapping (docs/api.md, "Writes are asynchronous"): PostgreSQL's record → what the client reads.
const rows: Array<[string, ConsumerRecord, Partial<RequestOutcome>]> = [
  ['processed applied', { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'applied', reason: null }, { type: 'create', state: 'applied' }],
  ['processed, no outcome recorded (older rows)', { kind: 'processed', username: 'alice', eventType: 'user.updated', outcome: null, reason: null }, { type: 'update', state: 'applied' }],
  ['processed rejected username_taken', { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'rejected', reason: 'username_taken' }, { state: 'rejected', reason: 'username_taken' }],
  ['processed rejected email_taken', { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'rejected', reason: 'email_taken' }, { state: 'rejected', reason: 'email_taken' }],
  ['processed conflict phone_taken', { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'conflict', reason: 'phone_taken' }, { state: 'rejected', reason: 'phone_taken' }],
  ['processed skipped user_not_found', { kind: 'processed', username: 'alice', eventType: 'user.deleted', outcome: 'skipped', reason: 'user_not_found' }, { type: 'delete', state: 'rejected', reason: 'user_not_found' }],
  ['processed skipped user_deleted', { kind: 'processed', username: 'alice', eventType: 'user.updated', outcome: 'skipped', reason: 'user_deleted' }, { type: 'update', state: 'rejected', reason: 'user_deleted' }],
  ['processed skipped without a reason (older rows)', { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'skipped', reason: null }, { state: 'rejected', reason: 'skipped' }],
  ['processed discarded', { kind: 'processed', username: 'alice', eventType: 'user.force_deleted', outcome: 'discarded', reason: null }, { type: 'force_delete', state: 'rejected', reason: 'discarded_by_operator' }],
  ['parked head dead, invalid_data', { kind: 'parked_head', username: 'alice', eventType: 'user.created', status: 'dead', reason: 'invalid_data' }, { state: 'dead_lettered', reason: 'invalid_data' }],
  ['parked head dead, no reason (older rows)', { kind: 'parked_head', username: 'alice', eventType: 'user.created', status: 'dead', reason: null }, { state: 'dead_lettered', reason: 'retries_exhausted' }],
  ['parked head retrying', { kind: 'parked_head', username: 'alice', eventType: 'user.created', status: 'retrying', reason: null }, { state: 'pending', reason: 'retrying' }],
  ['parked behind a dead head', { kind: 'parked_behind', username: 'alice', eventType: 'user.updated', headStatus: 'dead' }, { type: 'update', state: 'pending', reason: 'waiting_behind_dead_letter' }],
  ['parked behind a retrying head', { kind: 'parked_behind', username: 'alice', eventType: 'user.updated', headStatus: 'retrying' }, { type: 'update', state: 'pending', reason: 'waiting_behind_retry' }],
  ['parked, its head just released', { kind: 'parked_behind', username: 'alice', eventType: 'user.updated', headStatus: null }, { type: 'update', state: 'pending' }],
];

describe('request outcome', () => {
  it.each(rows)('%s', async (_name, record, expected) => {
    const f = fakeDeps();
    f.consumerRecords.set(ID, record);
    const outcome = await requestOutcome(f.deps, ID);
    expect(outcome).toEqual({ requestId: ID, type: 'create', username: 'alice', ...expected });
    if (!('reason' in expected)) expect(outcome).not.toHaveProperty('reason');
  });

  it('only Redis knows it (accepted, not yet consumed) → pending with the recorded type', async () => {
    const f = fakeDeps();
    f.requests.set(ID, { ...accepted, type: 'force_delete' });
    expect(await requestOutcome(f.deps, ID)).toEqual({ requestId: ID, type: 'force_delete', username: 'alice', state: 'pending' });
  });

  it('an id written in upper case names the same request (PostgreSQL compares UUIDs, Redis keys are text)', async () => {
    const f = fakeDeps();
    f.requests.set(ID, accepted);
    expect(await requestOutcome(f.deps, ID.toUpperCase())).toEqual({ requestId: ID, type: 'create', username: 'alice', state: 'pending' });
  });

  it('PostgreSQL wins over Redis', async () => {
    const f = fakeDeps();
    f.requests.set(ID, accepted);
    f.consumerRecords.set(ID, { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'rejected', reason: 'username_taken' });
    expect(await requestOutcome(f.deps, ID)).toEqual({ requestId: ID, type: 'create', username: 'alice', state: 'rejected', reason: 'username_taken' });
  });

  it('takes the type from Redis when the parked payload does not tell it', async () => {
    const f = fakeDeps();
    f.requests.set(ID, { ...accepted, type: 'update' });
    f.consumerRecords.set(ID, { kind: 'parked_head', username: 'alice', eventType: null, status: 'dead', reason: 'invalid_data' });
    expect(await requestOutcome(f.deps, ID)).toEqual({ requestId: ID, type: 'update', username: 'alice', state: 'dead_lettered', reason: 'invalid_data' });
  });

  it('neither knows the id → null (404)', async () => {
    expect(await requestOutcome(fakeDeps().deps, ID)).toBeNull();
  });

  it('PostgreSQL down → 503 (it may know better than Redis); Redis down matters only when PostgreSQL does not know the id', async () => {
    const f = fakeDeps();
    f.requests.set(ID, accepted);
    f.failures.db = true;
    await expect(requestOutcome(f.deps, ID)).rejects.toMatchObject({ code: 110009, status: 503 });
    f.failures.db = false;
    f.failures.redis = true;
    await expect(requestOutcome(f.deps, ID)).rejects.toMatchObject({ code: 110006, status: 503 });
    f.consumerRecords.set(ID, { kind: 'processed', username: 'alice', eventType: 'user.created', outcome: 'applied', reason: null });
    expect(await requestOutcome(f.deps, ID)).toMatchObject({ state: 'applied' });
  });

  it('accepts only UUIDs as request ids', () => {
    expect(isRequestId(ID)).toBe(true);
    expect(isRequestId(ID.toUpperCase())).toBe(true);
    for (const bad of ['', 'alice', `${ID}x`, ID.replace(/-/g, ''), '../users/alice']) expect(isRequestId(bad)).toBe(false);
  });
});
