import { createEvent } from '@usersys/event-schema';
import { credentialVersionStep } from './credential-version';

const HASH = `$2b$04$${'x'.repeat(53)}`;

describe('credential version', () => {
  it('a password change, a delete, a force delete and a disable raise it by one; a sign-up, another update and an enable leave it', () => {
    expect(credentialVersionStep(createEvent('user.updated', 'alice', { passwordHash: HASH, email: 'a@example.com' }))).toBe(1);
    expect(credentialVersionStep(createEvent('user.deleted', 'alice', {}))).toBe(1);
    expect(credentialVersionStep(createEvent('user.force_deleted', 'alice', {}))).toBe(1);
    expect(credentialVersionStep(createEvent('user.disabled', 'alice', { requestedBy: 'root' }))).toBe(1);
    expect(credentialVersionStep(createEvent('user.updated', 'alice', { email: 'a@example.com', phone: '+4915112345678', nickname: 'A' }))).toBe(0);
    expect(credentialVersionStep(createEvent('user.enabled', 'alice', { requestedBy: 'root' }))).toBe(0);
    expect(credentialVersionStep(createEvent('user.created', 'alice', { email: 'a@example.com', phone: '+4915112345678', passwordHash: HASH, role: 'user' }))).toBe(0);
  });
});
