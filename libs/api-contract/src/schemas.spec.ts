import { normalizeEmail, normalizePhone } from './normalize';
import { parseWith } from './problems';
import { createUserSchema, updateUserSchema, usernameSchema } from './schemas';

const valid = { username: 'alice_01', password: 'correct horse', email: '  Alice@Example.COM ', phone: '+49 151 1234-5678' };

describe('normalisation', () => {
  it('trims and lower-cases email', () => expect(normalizeEmail('  Bob@EXAMPLE.org ')).toBe('bob@example.org'));
  it.each([
    ['+49 151 1234 5678', '+4915112345678'],
    ['0049 (151) 1234-5678', '+4915112345678'],
    ['+1.415.555.0100', '+14155550100'],
  ])('phone %s becomes %s', (input, out) => expect(normalizePhone(input)).toBe(out));
});

describe('create validation', () => {
  it('accepts and normalises a valid body', () => {
    const parsed = parseWith(createUserSchema, valid);
    expect(parsed).toEqual({ ok: true, value: { ...valid, email: 'alice@example.com', phone: '+4915112345678' } });
  });

  it.each([
    [{ username: 'ab' }, 'username'],
    [{ username: 'has space' }, 'username'],
    [{ username: 'x'.repeat(33) }, 'username'],
    [{ password: 'short' }, 'password'],
    [{ password: 'é'.repeat(37) }, 'password'],
    [{ email: 'not-an-email' }, 'email'],
    [{ email: 'a@b-.example.com' }, 'email'],
    [{ email: 'a@-b.example.com' }, 'email'],
    [{ email: `${'a'.repeat(65)}@example.com` }, 'email'],
    [{ email: `a@${'x'.repeat(64)}.example.com` }, 'email'],
    [{ phone: '0151 12345678' }, 'phone'],
  ])('rejects %p naming the field %s', (patch, field) => {
    const parsed = parseWith(createUserSchema, { ...valid, ...patch });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.map((p) => p.field)).toContain(field);
  });

  it('accepts a 72-byte password and rejects 73 bytes', () => {
    expect(parseWith(createUserSchema, { ...valid, password: 'a'.repeat(72) }).ok).toBe(true);
    expect(parseWith(createUserSchema, { ...valid, password: 'a'.repeat(73) }).ok).toBe(false);
  });

  it('rejects unknown fields and missing ones', () => {
    const parsed = parseWith(createUserSchema, { ...valid, role: 'admin' });
    expect(!parsed.ok && parsed.problems[0]).toEqual({ field: 'role', reason: 'unknown field' });
    expect(parseWith(createUserSchema, { username: 'alice' }).ok).toBe(false);
    expect(parseWith(createUserSchema, null).ok).toBe(false);
  });
});

describe('update validation', () => {
  it('needs at least one field', () => expect(parseWith(updateUserSchema, {}).ok).toBe(false));
  it('normalises what it gets', () => expect(parseWith(updateUserSchema, { email: 'X@Y.io' })).toEqual({ ok: true, value: { email: 'x@y.io' } }));
  it('refuses currentPassword (the gateway checks and strips it): named, its value nowhere in the problems', () => {
    const parsed = parseWith(updateUserSchema, { password: 'a new password', currentPassword: 'the old secret' });
    expect(parsed).toEqual({ ok: false, problems: [{ field: 'currentPassword', reason: 'unknown field' }] });
    expect(JSON.stringify(parsed)).not.toContain('the old secret');
  });
});

describe('control characters and unpaired surrogates', () => {
  // Each class: C0 (NUL, SOH, tab, newline, US), DEL, C1 (NEL, APC), lone high and low surrogates.
  const BAD = ['\u0000', '\u0001', '\t', '\n', '\u001f', '\u007f', '\u0085', '\u009f', '\ud800', '\udfff'];
  const label = (bad: string) => `U+${bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const FIELDS = ['username', 'password', 'email', 'phone', 'nickname'] as const;
  // Inserted inside the value, so neither trimming nor phone normalisation could remove it.
  const spoil = (field: (typeof FIELDS)[number], bad: string) => {
    const value = field === 'nickname' ? 'Nick name' : valid[field];
    return `${value.slice(0, 4)}${bad}${value.slice(4)}`;
  };

  it.each(FIELDS.flatMap((field) => BAD.map((bad) => [field, label(bad), bad] as const)))('create refuses %s holding %s, naming the field first', (field, _label, bad) => {
    const parsed = parseWith(createUserSchema, { ...valid, [field]: spoil(field, bad) });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems[0]).toEqual({ field, reason: expect.stringMatching(/^must not contain control characters .* at index 4$/) });
  });

  it.each((['password', 'email', 'phone', 'nickname'] as const).flatMap((field) => BAD.map((bad) => [field, label(bad), bad] as const)))('update refuses %s holding %s', (field, _label, bad) => {
    const parsed = parseWith(updateUserSchema, { [field]: spoil(field, bad) });
    expect(!parsed.ok && parsed.problems[0].field).toBe(field);
  });

  it('refuses a nickname of only a tab or newline instead of trimming it away', () => {
    expect(parseWith(createUserSchema, { ...valid, nickname: '\t' }).ok).toBe(false);
    expect(parseWith(updateUserSchema, { nickname: 'Bob\n' }).ok).toBe(false);
  });

  it('accepts emoji and other letters in a nickname and a password', () => {
    expect(parseWith(createUserSchema, { ...valid, nickname: 'Zoë 😀', password: 'pässwörd 🎉' })).toMatchObject({ ok: true, value: { nickname: 'Zoë 😀', password: 'pässwörd 🎉' } });
  });

  it('names the username when the path parameter is parsed alone', () => {
    const parsed = parseWith(usernameSchema, 'ali\u0000ce');
    expect(!parsed.ok && parsed.problems[0]).toEqual({ field: 'username', reason: expect.stringContaining('U+0000 at index 3') });
    expect(parseWith(usernameSchema, 'alice_01')).toEqual({ ok: true, value: 'alice_01' });
  });
});
