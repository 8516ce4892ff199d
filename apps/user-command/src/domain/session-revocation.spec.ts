import { createEvent } from '@usersys/event-schema';
import { revokesSessions } from './session-revocation';

const HASH = `$2b$04$${'x'.repeat(53)}`;

describe('which accepted changes revoke sessions', () => {
  it('a password change, a delete, a force delete and a disable revoke; a sign-up, another update and an enable do not', () => {
    expect(revokesSessions(createEvent('user.updated', 'alice', { passwordHash: HASH }))).toBe(true);
    expect(revokesSessions(createEvent('user.updated', 'alice', { passwordHash: HASH, nickname: 'A' }))).toBe(true);
    expect(revokesSessions(createEvent('user.deleted', 'alice', {}))).toBe(true);
    expect(revokesSessions(createEvent('user.force_deleted', 'alice', {}))).toBe(true);
    expect(revokesSessions(createEvent('user.disabled', 'alice', {}))).toBe(true);
    expect(revokesSessions(createEvent('user.updated', 'alice', { email: 'a@example.com', nickname: 'A' }))).toBe(false);
    expect(revokesSessions(createEvent('user.enabled', 'alice', {}))).toBe(false);
    expect(revokesSessions(createEvent('user.created', 'alice', { email: 'a@example.com', phone: '+4915112345678', passwordHash: HASH, role: 'user' }))).toBe(false);
  });
});
