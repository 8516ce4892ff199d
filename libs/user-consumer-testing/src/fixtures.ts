import { createEvent, type EventEnvelope } from '@usersys/event-schema';
import { randomUUID } from 'node:crypto';

// A syntactically valid bcrypt hash (the schema only checks the form; nothing compares it here).
export const HASH = `$2b$04$${'C'.repeat(22)}${'D'.repeat(31)}`;

export function uniqueName(prefix = 'uc'): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

// `accountId`: the account the event is about, as user-command puts it in the envelope (omitted: a
// version 1 style event without one).
export function createdEvent(username: string, extra: { email?: string; phone?: string; nickname?: string | null; accountId?: string } = {}): EventEnvelope {
  const digits = String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
  return createEvent('user.created', username, { email: extra.email ?? `${username}@example.com`, phone: extra.phone ?? `+49${digits}`, passwordHash: HASH, role: 'user', ...(extra.nickname !== undefined ? { nickname: extra.nickname } : {}) }, {}, extra.accountId);
}

export function updatedEvent(username: string, payload: { email?: string; phone?: string; nickname?: string | null; passwordHash?: string }, accountId?: string): EventEnvelope {
  return createEvent('user.updated', username, payload, {}, accountId);
}

export function deletedEvent(username: string, force = false, accountId?: string): EventEnvelope {
  return createEvent(force ? 'user.force_deleted' : 'user.deleted', username, {}, {}, accountId);
}

export function accessEvent(username: string, change: 'disable' | 'enable', accountId?: string): EventEnvelope {
  return createEvent(change === 'disable' ? 'user.disabled' : 'user.enabled', username, { requestedBy: 'root' }, {}, accountId);
}
