export {
  SCHEMA_VERSION,
  EVENT_TYPES,
  USERNAME_PATTERN,
  eventEnvelope,
  userCreatedPayload,
  userUpdatedPayload,
  userDeletedPayload,
  userStatePayload,
  createEvent,
  validateEvent,
  encodeEvent,
  decodeEvent,
  InvalidEventError,
} from './envelope';
export type { EventEnvelope, EventType, UserCreatedEvent, UserUpdatedEvent, PayloadOf } from './envelope';
export { TOPICS, TOPIC_PARTITIONS, type TopicName, HEADERS, eventHeaders } from './kafka';
export { revokesSessions } from './session-rules';
export { loginAuditRecord, createLoginAuditRecord, decodeLoginAuditRecord } from './login-audit';
export type { LoginAuditRecord } from './login-audit';
export { safeText, toSafeText, unsafeCharacterIndex, unsafeTextProblem, SAFE_TEXT_MESSAGE } from './safe-text';
export { loginAuditHeaders, LOGIN_AUDIT_SCHEMA_VERSION, LOGIN_AUDIT_EVENT_TYPE } from './login-audit';
export { WAL_KIND_BYTES, encodeLoginAuditWalRecord, decodeWalRecord } from './wal-record';
export type { WalEntry, TraceCarrier } from './wal-record';
