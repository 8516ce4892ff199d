export {
  SCHEMA_VERSION,
  EVENT_TYPES,
  USERNAME_PATTERN,
  eventEnvelope,
  userCreatedPayload,
  userUpdatedPayload,
  userDeletedPayload,
  createEvent,
  validateEvent,
  encodeEvent,
  decodeEvent,
  InvalidEventError,
} from './envelope';
export type { EventEnvelope, EventType, UserCreatedEvent, UserUpdatedEvent, PayloadOf } from './envelope';
export { TOPICS, HEADERS, eventHeaders } from './kafka';
export { loginAuditRecord, createLoginAuditRecord, decodeLoginAuditRecord } from './login-audit';
export type { LoginAuditRecord } from './login-audit';
export { safeText, toSafeText, unsafeCharacterIndex, unsafeTextProblem, SAFE_TEXT_MESSAGE } from './safe-text';
