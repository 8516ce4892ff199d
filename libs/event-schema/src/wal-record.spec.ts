import { createEvent, createLoginAuditRecord, decodeWalRecord, encodeEvent, encodeLoginAuditWalRecord, InvalidEventError, WAL_KIND_BYTES } from './index';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('WAL record kinds', () => {
  it('reads a plain event envelope (what user-command writes, and every record before kinds) as a user event', () => {
    const event = createEvent('user.deleted', 'alice', {});
    const payload = encodeEvent(event);
    expect(payload[0]).toBe(WAL_KIND_BYTES.userEvent);
    expect(decodeWalRecord(payload)).toEqual({ kind: 'user-event', event });
  });

  it('round-trips a login-audit record with its trace context behind the 0x01 kind byte', () => {
    const record = createLoginAuditRecord({ username: 'x y', clientIp: '::1', userAgent: null, result: 'failure', reason: 'bad_credentials', traceId: null });
    const payload = encodeLoginAuditWalRecord(record, { traceparent: TRACEPARENT });
    expect(payload[0]).toBe(WAL_KIND_BYTES.loginAudit);
    expect(decodeWalRecord(payload)).toEqual({ kind: 'login-audit', record, trace: { traceparent: TRACEPARENT } });
    expect(decodeWalRecord(encodeLoginAuditWalRecord(record))).toEqual({ kind: 'login-audit', record, trace: {} });
  });

  it('refuses unknown kinds, empty records and off-schema bodies with a reason', () => {
    expect(() => decodeWalRecord(Buffer.alloc(0))).toThrow('invalid event: empty WAL record');
    expect(() => decodeWalRecord(Buffer.from('xyz'))).toThrow('unknown WAL record kind 0x78');
    expect(() => decodeWalRecord(Buffer.from('\x01{nope'))).toThrow(InvalidEventError);
    expect(() => decodeWalRecord(Buffer.from('\x01{"record":{}}'))).toThrow(/login-audit record: record\./);
  });
});
