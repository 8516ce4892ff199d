import { normalizeEmail, normalizePhone } from './normalize';
import { createUserSchema, parseWith, updateUserSchema } from './validation';

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
});
