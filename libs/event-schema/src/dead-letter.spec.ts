import { contractHeaders, deadLetterHeaders, flattenHeaders, readDeadLetter, retryActionHeader, retryHeaders, retryMetaOf, withoutDeadLetterHeaders } from './index';

const contract = { 'event-id': 'e1', 'event-type': 'user.created', 'schema-version': '1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

describe('dead-letter headers', () => {
  it("round-trip: what user-consumer writes reads back as the record tools/dead-letters.ts lists", () => {
    const headers = { ...contract, ...deadLetterHeaders({ stage: 'write', reason: 'retries exhausted', error: 'boom', attempts: 3, source: 'user.events.v1/0/7', at: '2026-01-01T00:00:00.000Z' }) };
    expect(headers).toMatchObject({ 'dlq-stage': 'write', 'dlq-reason': 'retries exhausted', 'dlq-error': 'boom', 'dlq-attempts': '3', 'dlq-source': 'user.events.v1/0/7', 'dlq-at': '2026-01-01T00:00:00.000Z' });
    expect(readDeadLetter(headers)).toEqual({ eventId: 'e1', type: 'user.created', stage: 'write', reason: 'retries exhausted', error: 'boom', attempts: 3, at: '2026-01-01T00:00:00.000Z', source: 'user.events.v1/0/7', originalTopic: null });
  });

  it("wal-relay's dead letters (reason, source, original topic; no stage) read as poison", () => {
    const headers = deadLetterHeaders({ reason: 'invalid event: not JSON', source: 'wal:user-command', originalTopic: 'user.events.v1' });
    expect(headers).toEqual({ 'dlq-reason': 'invalid event: not JSON', 'dlq-source': 'wal:user-command', 'dlq-original-topic': 'user.events.v1' });
    expect(readDeadLetter(headers)).toMatchObject({ stage: 'poison', attempts: 0, eventId: null, originalTopic: 'user.events.v1' });
  });

  it('a replay drops the dead-letter headers and keeps the contract and retry headers', () => {
    const dead = { ...contract, 'retry-outcome': 'applied', origin: 'user.events.v1/0/7', ...deadLetterHeaders({ stage: 'bookkeeping', reason: 'x', originalTopic: 't' }) };
    expect(withoutDeadLetterHeaders(dead)).toEqual({ ...contract, 'retry-outcome': 'applied', origin: 'user.events.v1/0/7' });
  });
});

describe('retry headers', () => {
  it('round-trip, the action only where the tool sets it', () => {
    const headers = retryHeaders({ attempt: 2, notBefore: 1000, stage: 'bookkeeping', error: 'e', outcome: 'applied', field: 'email' });
    expect(headers).toEqual({ 'retry-attempt': '2', 'retry-not-before': '1000', 'retry-stage': 'bookkeeping', 'retry-error': 'e', 'retry-outcome': 'applied', 'retry-field': 'email' });
    expect(retryMetaOf(headers)).toEqual({ attempt: 2, notBefore: 1000, stage: 'bookkeeping', outcome: 'applied', field: 'email' });
    expect(retryMetaOf({ ...headers, ...retryActionHeader('replay') }).action).toBe('replay');
  });

  it('missing or malformed headers read as a first write attempt due now', () => {
    expect(retryMetaOf({ 'retry-attempt': 'x', 'retry-action': 'other' })).toEqual({ attempt: 1, notBefore: 0, stage: 'write' });
  });

  it('contractHeaders strips retry and dead-letter headers but keeps origin', () => {
    expect(contractHeaders({ ...contract, ...retryHeaders({ attempt: 1, notBefore: 0, stage: 'write' }), 'dlq-reason': 'r', origin: 'o' })).toEqual({ ...contract, origin: 'o' });
  });

  it('flattenHeaders keeps the first value of each header as a string', () => {
    expect(flattenHeaders({ a: Buffer.from('1'), b: ['2', '3'], c: undefined })).toEqual({ a: '1', b: '2' });
  });
});
