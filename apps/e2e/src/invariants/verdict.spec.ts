import { classify, type SentRequest } from './answers';
import { Prng } from './prng';
import { formatSummary, judge, type Evidence } from './verdict';

const base = { phase: 'redis killed', inWindow: true, sentAt: 0 };
const create = (seq: number, status: number, extra: Partial<SentRequest> = {}): SentRequest => ({
  ...base,
  seq,
  op: 'create',
  username: `u${seq}`,
  email: `u${seq}@inv.test`,
  status,
  ...(extra.requestId ? { location: `/v1/requests/${extra.requestId}` } : {}),
  ...extra,
});

function evidence(requests: SentRequest[], over: Partial<Evidence> = {}): Evidence {
  return { requests, readings: new Map(), ambiguous: new Map(), rows: [], appliedCreates: new Map(), repeatedEventIds: [], kafkaEventIds: new Set(requests.flatMap((r) => (r.requestId ? [r.requestId] : []))), drainMs: new Map(), ...over };
}

describe('classify', () => {
  it.each([
    [202, undefined, 'accepted'],
    [409, 110002, 'refused'],
    [400, 110001, 'refused'],
    [503, 110006, 'refused'], // user-command: Redis unavailable, nothing written
    [503, 120001, 'refused'], // user-command refused the connection: the request never arrived
    [504, 120002, 'ambiguous'], // the gateway sent the request and got no answer
    [504, undefined, 'ambiguous'],
    [500, 100002, 'ambiguous'],
    [0, undefined, 'ambiguous'], // no answer at all
  ] as const)('%i (code %s) is %s', (status, code, expected) => {
    expect(classify({ status, code })).toBe(expected);
  });
});

describe('judge', () => {
  it('passes an applied create whose row holds the client email, and a refused one that left nothing', () => {
    const ok = create(1, 202, { requestId: 'r1' });
    const refused = create(2, 409, { username: 'u1', email: 'other@inv.test', code: 110002 });
    const v = judge(evidence([ok, refused], {
      readings: new Map([['r1', { kind: 'state', type: 'create', username: 'u1', state: 'applied' }]]),
      rows: [{ username: 'u1', email: 'u1@inv.test', nickname: null, state: 'active' }],
      appliedCreates: new Map([['u1', 1]]),
      drainMs: new Map([['redis killed', 1500]]),
    }));
    expect(v.violations).toEqual([]);
    expect(v.phases[0]).toMatchObject({ accepted: 1, acceptedInWindow: 1, refusedByStatus: { '409': 1 }, lost: 0, stuck: 0, duplicated: 0 });
    expect(formatSummary(v.phases[0])).toContain('refused=409:1');
    expect(formatSummary(v.phases[0])).toContain('drain=1.5s');
  });

  it('counts a create told applied whose row belongs to someone else as lost (issue 12, failure 3)', () => {
    const winner = create(1, 202, { requestId: 'r1', username: 'same' });
    const loser = create(2, 202, { requestId: 'r2', username: 'same' });
    const v = judge(evidence([winner, loser], {
      readings: new Map([
        ['r1', { kind: 'state', type: 'create', username: 'same', state: 'applied' }],
        ['r2', { kind: 'state', type: 'create', username: 'same', state: 'applied' }],
      ]),
      rows: [{ username: 'same', email: 'u1@inv.test', nickname: null, state: 'active' }],
    }));
    expect(v.phases[0].lost).toBe(1);
    expect(v.violations.join('\n')).toMatch(/#2 create same .*another email/);
  });

  it('counts a 202 without the contract Location as lost', () => {
    const r = create(1, 202, { requestId: 'r1', location: '/v1/users/u1' });
    const v = judge(evidence([r], { readings: new Map([['r1', { kind: 'state', type: 'create', username: 'u1', state: 'applied' }]]), rows: [{ username: 'u1', email: 'u1@inv.test', nickname: null, state: 'active' }] }));
    expect(v.phases[0].lost).toBe(1);
    expect(v.violations[0]).toContain('Location /v1/users/u1');
  });

  it('counts a 202 still pending at the deadline as stuck, and one that never reached Kafka as lost', () => {
    const stuck = create(1, 202, { requestId: 'r1' });
    const v = judge(evidence([stuck], { readings: new Map([['r1', { kind: 'state', type: 'create', username: 'u1', state: 'pending', reason: 'retrying' }]]), kafkaEventIds: new Set() }));
    expect(v.phases[0]).toMatchObject({ stuck: 1, lost: 1 });
  });

  it('counts a request once per column, however many problems it has', () => {
    const r = create(1, 202, { requestId: 'r1', location: '/v1/users/u1' });
    const v = judge(evidence([r], { readings: new Map([['r1', { kind: 'state', type: 'create', username: 'u1', state: 'applied' }]]), kafkaEventIds: new Set() }));
    expect(v.phases[0].lost).toBe(1);
    expect(v.violations).toHaveLength(3); // Location, not on Kafka, applied without a row
  });

  it('flags a refused request that was written anyway, an unsettled ambiguous one, duplicates and a relay that never drained', () => {
    const refusedCreate = create(1, 503, { code: 110006 });
    const refusedUpdate: SentRequest = { ...base, seq: 2, op: 'update', username: 'u9', nickname: 'nick-2', status: 409, code: 110011 };
    const unclear = create(3, 504);
    const dup = create(4, 202, { requestId: 'r4' });
    const v = judge(evidence([refusedCreate, refusedUpdate, unclear, dup], {
      readings: new Map([['r4', { kind: 'state', type: 'create', username: 'u4', state: 'applied' }]]),
      ambiguous: new Map([[3, 'pending']]),
      rows: [
        { username: 'u1', email: 'u1@inv.test', nickname: null, state: 'active' },
        { username: 'u9', email: 'u9@inv.test', nickname: 'nick-2', state: 'active' },
        { username: 'u4', email: 'u4@inv.test', nickname: null, state: 'active' },
      ],
      appliedCreates: new Map([['u4', 2]]),
      drainMs: new Map([['redis killed', null]]),
      drainLeft: new Map([['redis killed', 'user.retry.v1 lag (group -retry) 3 [p0: 3 (end 3, committed never)]']]),
    }));
    expect(v.phases[0]).toMatchObject({ writtenAfterRefusal: 2, ambiguous: 1, stuck: 1, duplicated: 1, drainMs: null });
    expect(v.violations).toContain('[redis killed] the relay backlog or the consumer lag never reached 0 (left: user.retry.v1 lag (group -retry) 3 [p0: 3 (end 3, committed never)])');
    expect(formatSummary(v.phases[0])).toContain('drain=never');
  });
});

describe('Prng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, ((p) => () => p.int(1000))(new Prng(seed)));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });
});
