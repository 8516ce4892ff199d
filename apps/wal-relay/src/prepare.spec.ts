import { createEvent, createLoginAuditRecord, decodeLoginAuditRecord, encodeEvent, encodeLoginAuditWalRecord, SCHEMA_VERSION, TOPICS } from '@usersys/event-schema';
import type { WalRecord } from '@usersys/wal';
import { prepareRecords } from './prepare';

// Routing by record kind (format: libs/event-schema/src/wal-record.ts). No tracing SDK here, so the
// stored traceparent passes through unchanged.
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const walRecord = (payload: Buffer, i = 0): WalRecord => ({ payload, appendedAtMs: Date.now(), end: { segment: 1, offset: (i + 1) * 100 } });

describe('prepareRecords routing', () => {
  it('sends a user event (the plain envelope every WAL held before kinds existed) to user.events.v1 byte for byte', () => {
    const event = createEvent('user.deleted', 'alice', {}, { traceparent: TRACEPARENT });
    const payload = encodeEvent(event);
    const [p] = prepareRecords([walRecord(payload)], 'user-command');
    expect(p.deadLetterReason).toBeUndefined();
    expect(p.message).toEqual({
      topic: TOPICS.events,
      key: 'alice',
      value: payload,
      headers: { 'event-id': event.eventId, 'event-type': 'user.deleted', 'schema-version': String(SCHEMA_VERSION), traceparent: TRACEPARENT },
    });
  });

  it('sends a login-audit record to user.login-audit.v1: key = username as given, value = the bare record, contract headers', () => {
    const record = createLoginAuditRecord({ username: 'Some Body\u00e9', clientIp: '10.0.0.9', userAgent: 'curl', result: 'failure', reason: 'unknown_user', traceId: TRACEPARENT.split('-')[1] });
    const [p] = prepareRecords([walRecord(encodeLoginAuditWalRecord(record, { traceparent: TRACEPARENT }))], 'auth-gateway-audit-gw-0-8080');
    expect(p.deadLetterReason).toBeUndefined();
    expect(p.message.topic).toBe(TOPICS.loginAudit);
    expect(p.message.key).toBe('Some Body\u00e9');
    expect(decodeLoginAuditRecord(p.message.value)).toEqual(record); // what user-consumer's login-audit sink parses
    expect(p.message.headers).toEqual({ 'event-id': record.auditId, 'event-type': 'login.attempt', 'schema-version': '1', traceparent: TRACEPARENT });
  });

  it('routes a mixed batch record by record, and dead-letters unknown kinds and off-schema audit records with the reason', () => {
    const event = createEvent('user.deleted', 'bob', {});
    const record = createLoginAuditRecord({ username: 'bob', clientIp: '10.0.0.1', userAgent: null, result: 'success', reason: 'ok', traceId: null });
    const offSchema = Buffer.concat([Buffer.from([0x01]), Buffer.from(JSON.stringify({ record: { ...record, password: 'x' }, trace: {} }))]);
    const prepared = prepareRecords([encodeLoginAuditWalRecord(record), encodeEvent(event), Buffer.from('\x07junk'), offSchema].map(walRecord), 'mixed');
    expect(prepared.map((p) => p.message.topic)).toEqual([TOPICS.loginAudit, TOPICS.events, TOPICS.deadLetter, TOPICS.deadLetter]);
    expect(prepared[2].message.headers).toMatchObject({ 'dlq-reason': 'invalid event: unknown WAL record kind 0x07', 'dlq-source': 'wal:mixed', 'dlq-original-topic': TOPICS.events });
    expect(prepared[3].message.headers).toMatchObject({ 'dlq-original-topic': TOPICS.loginAudit });
    expect(prepared[3].deadLetterReason).toMatch(/^invalid event: login-audit record: record/);
    expect(prepared[1].message.headers['event-id']).toBe(event.eventId);
    expect(prepared[0].message.headers).not.toHaveProperty('traceparent'); // none was stored
  });
});
