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
export { TOPICS, TOPIC_SPECS, TOPIC_PARTITIONS, topicSpecs } from './topics';
export type { TopicName, TopicRole, TopicSpec } from './topics';
export { HEADERS, RETRY_HEADERS, DLQ_HEADERS, eventHeaders, flattenHeaders, contractHeaders } from './headers';
export type { Headers } from './headers';
export { retryMetaOf, retryHeaders, retryActionHeader } from './retry';
export type { RetryMeta, RetryStage, RetryAction } from './retry';
export { deadLetterHeaders, readDeadLetter, withoutDeadLetterHeaders } from './dead-letter';
export type { DeadLetterInfo, DeadLetterRecord, DeadLetterStage } from './dead-letter';
export { revokesSessions } from './session-rules';
export { loginAuditRecord, createLoginAuditRecord, decodeLoginAuditRecord } from './login-audit';
export type { LoginAuditRecord } from './login-audit';
export { safeText, toSafeText, unsafeCharacterIndex, unsafeTextProblem, SAFE_TEXT_MESSAGE } from './safe-text';
export { loginAuditHeaders, LOGIN_AUDIT_SCHEMA_VERSION, LOGIN_AUDIT_EVENT_TYPE } from './login-audit';
export { WAL_KIND_BYTES, encodeLoginAuditWalRecord, decodeWalRecord } from './wal-record';
export type { WalEntry, TraceCarrier } from './wal-record';
