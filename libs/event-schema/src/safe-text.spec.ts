import { z } from 'zod';
import { createEvent, createLoginAuditRecord, decodeEvent, decodeLoginAuditRecord, InvalidEventError, safeText, toSafeText, unsafeCharacterIndex } from './index';

const HASH = '$2b$04$' + 'a'.repeat(53);

describe('safeText', () => {
  it.each([
    ['NUL', 'ab\u0000c', 2, '0000'],
    ['SOH', '\u0001', 0, '0001'],
    ['US (last C0)', 'x\u001f', 1, '001F'],
    ['tab', 'a\tb', 1, '0009'],
    ['newline', 'a\nb', 1, '000A'],
    ['carriage return', 'a\rb', 1, '000D'],
    ['DEL', 'a\u007f', 1, '007F'],
    ['C1 NEL', '\u0085', 0, '0085'],
    ['C1 first', '\u0080', 0, '0080'],
    ['C1 last', 'ok\u009f', 2, '009F'],
    ['lone high surrogate', 'a\ud800', 1, 'D800'],
    ['lone high surrogate before a letter', '\ud83dx', 0, 'D83D'],
    ['lone low surrogate', '\udc00a', 0, 'DC00'],
    ['low before high (reversed pair)', '\ude00\ud83d', 0, 'DE00'],
  ])('refuses %s with a message naming the character', (_name, text, index, unit) => {
    expect(unsafeCharacterIndex(text)).toBe(index);
    const result = safeText().safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toBe(`must not contain control characters (U+0000–U+001F, U+007F–U+009F) or unpaired surrogates; found U+${unit} at index ${index}`);
  });

  it.each([
    ['plain text', 'Alice Smith'],
    ['empty', ''],
    ['Latin-1 letters after C1', 'Zoë \u00a0 ñ ÿ'],
    ['emoji (a valid surrogate pair)', 'hi 😀🎉'],
    ['CJK', '山田太郎'],
    ['line separator (not a control character)', 'a\u2028b'],
    ['replacement character', '\ufffd'],
  ])('accepts %s', (_name, text) => {
    expect(unsafeCharacterIndex(text)).toBe(-1);
    expect(safeText().parse(text)).toBe(text);
  });

  it('checks the raw input before later transforms and keeps the field path', () => {
    const schema = z.object({ nickname: safeText().trim().max(64) });
    const result = schema.safeParse({ nickname: ' Bob\n' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ['nickname'], message: expect.stringContaining('U+000A at index 4') });
  });

  it('toSafeText replaces each offending character with U+FFFD and keeps valid pairs', () => {
    expect(toSafeText('a\u0000b\tc\u0085\ud800😀')).toBe('a\ufffdb\ufffdc\ufffd\ufffd😀');
    expect(toSafeText('plain')).toBe('plain');
    expect(toSafeText('ab😀', 3)).toBe('ab\ufffd');
    expect(toSafeText('ab😀', 4)).toBe('ab😀');
  });
});

describe('events and audit records refuse unsafe text', () => {
  it.each(['\u0000', '\ud800', '\u0085', 'tab\there'])('a user.created with nickname %j is refused when created and when decoded', (nickname) => {
    expect(() => createEvent('user.created', 'alice', { email: 'a@example.com', phone: '+4915112345678', nickname, passwordHash: HASH, role: 'user' })).toThrow(/payload\.nickname: must not contain control characters/);
    const valid = createEvent('user.created', 'alice', { email: 'a@example.com', phone: '+4915112345678', nickname: 'ok', passwordHash: HASH, role: 'user' });
    expect(() => decodeEvent(JSON.stringify({ ...valid, payload: { ...valid.payload, nickname } }))).toThrow(InvalidEventError);
  });

  it('refuses unsafe email, phone and requestedBy on decode', () => {
    const created = createEvent('user.updated', 'alice', { email: 'a@example.com' });
    expect(() => decodeEvent(JSON.stringify({ ...created, payload: { email: 'a\u0000@example.com' } }))).toThrow(/payload\.email/);
    expect(() => decodeEvent(JSON.stringify({ ...created, payload: { phone: '+49151\u007f12345' } }))).toThrow(/payload\.phone/);
    const deleted = createEvent('user.deleted', 'alice', { requestedBy: 'root' });
    expect(() => decodeEvent(JSON.stringify({ ...deleted, payload: { requestedBy: 'ro\u0000ot' } }))).toThrow(/payload\.requestedBy/);
  });

  it('a login audit record with a NUL username or a C1 user agent is refused when created and when decoded', () => {
    const fields = { username: 'alice', clientIp: '10.0.0.1', userAgent: 'curl', result: 'failure' as const, reason: 'bad_credentials', traceId: null };
    expect(() => createLoginAuditRecord({ ...fields, username: 'a\u0000' })).toThrow(/must not contain control characters/);
    expect(() => createLoginAuditRecord({ ...fields, userAgent: 'x\u0085' })).toThrow(/must not contain control characters/);
    const record = createLoginAuditRecord(fields);
    expect(() => decodeLoginAuditRecord(JSON.stringify({ ...record, username: '\ud800' }))).toThrow(/must not contain control characters/);
    expect(createLoginAuditRecord({ ...fields, username: toSafeText('a\u0000') }).username).toBe('a\ufffd');
  });
});
