import { createEvent, decodeEvent, encodeEvent, eventHeaders, InvalidEventError, SCHEMA_VERSION } from './index';

const HASH = '$2b$04$' + 'a'.repeat(53);
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('event envelope', () => {
  it('creates a versioned envelope that survives encode/decode', () => {
    const event = createEvent('user.created', 'alice', { email: 'a@example.com', phone: '+4915112345678', passwordHash: HASH, role: 'user' }, { traceparent: TRACEPARENT });
    expect(event.schemaVersion).toBe(SCHEMA_VERSION);
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });

  it('refuses a plaintext password in place of the hash, and unknown fields', () => {
    expect(() => createEvent('user.created', 'alice', { email: 'a@example.com', phone: '+4915112345678', passwordHash: 'hunter2hunter2', role: 'user' })).toThrow(/passwordHash/);
    const event = createEvent('user.deleted', 'alice', {});
    expect(() => decodeEvent(JSON.stringify({ ...event, payload: { password: 'x' } }))).toThrow(InvalidEventError);
  });

  it('rejects garbage, unknown types, bad usernames and future schema versions with a reason', () => {
    const event = createEvent('user.deleted', 'alice', {});
    expect(() => decodeEvent('{not json')).toThrow('invalid event: not JSON');
    expect(() => decodeEvent(JSON.stringify({ ...event, type: 'user.exploded' }))).toThrow(/type/);
    expect(() => decodeEvent(JSON.stringify({ ...event, username: 'a b' }))).toThrow(/username/);
    expect(() => decodeEvent(JSON.stringify({ ...event, schemaVersion: 99 }))).toThrow(/schemaVersion/);
  });

  it('carries the account id; version 2 still reads a version 1 event (no account id)', () => {
    const accountId = '6f1c2b9e-8a44-4c1f-9d5e-1b2c3d4e5f60';
    const event = createEvent('user.disabled', 'alice', {}, {}, accountId);
    expect(decodeEvent(encodeEvent(event))).toMatchObject({ schemaVersion: 2, accountId, type: 'user.disabled' });
    const { accountId: _omitted, ...v1 } = { ...createEvent('user.deleted', 'alice', {}), schemaVersion: 1 };
    expect(decodeEvent(JSON.stringify(v1))).toMatchObject({ schemaVersion: 1, type: 'user.deleted' });
    expect(decodeEvent(JSON.stringify(v1)).accountId).toBeUndefined();
    expect(() => decodeEvent(JSON.stringify({ ...event, accountId: 'not-a-uuid' }))).toThrow(/accountId/);
  });

  it('puts the contract headers on a Kafka message', () => {
    const event = createEvent('user.deleted', 'alice', {});
    expect(eventHeaders(event, { traceparent: TRACEPARENT })).toEqual({
      traceparent: TRACEPARENT,
      'event-id': event.eventId,
      'event-type': 'user.deleted',
      'schema-version': String(SCHEMA_VERSION),
    });
  });
});
