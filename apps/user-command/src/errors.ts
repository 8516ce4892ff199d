import { COMMON_ERRORS, type ErrorSpec } from '@usersys/service-kit';

/** user-command's error catalog (110xxx). Every code is documented in ../ERRORS.md (a test checks). */
export const ERRORS = {
  ...COMMON_ERRORS,
  VALIDATION_FAILED: { code: 110001, status: 400, message: 'validation failed' },
  USERNAME_TAKEN: { code: 110002, status: 409, message: 'username is already taken' },
  EMAIL_TAKEN: { code: 110003, status: 409, message: 'email is already taken' },
  PHONE_TAKEN: { code: 110004, status: 409, message: 'phone is already taken' },
  USER_NOT_FOUND: { code: 110005, status: 404, message: 'user not found' },
  REDIS_UNAVAILABLE: { code: 110006, status: 503, message: 'cannot record the request right now (Redis unavailable); retry' },
  WAL_UNAVAILABLE: { code: 110007, status: 503, message: 'cannot record the request right now (write-ahead log unavailable); retry' },
  UNAUTHENTICATED: { code: 110008, status: 401, message: 'missing or wrong internal credential' },
  LOOKUP_UNAVAILABLE: { code: 110009, status: 503, message: 'cannot check the user right now (database unavailable); retry' },
  FORBIDDEN: { code: 110010, status: 403, message: 'not allowed for this caller' },
  USER_PENDING: { code: 110011, status: 409, message: 'user is still pending creation; retry once it is active' },
  REQUEST_NOT_FOUND: { code: 110012, status: 404, message: 'request not found' },
  WAL_OUTCOME_UNKNOWN: { code: 110013, status: 500, message: 'the request reached the write-ahead log but could not be confirmed on disk; follow it by its request id before retrying' },
  HASHING_BUSY: { code: 110014, status: 503, message: 'password hashing is busy; nothing was written, retry after the time in Retry-After' },
  NOT_OWNER: { code: 110015, status: 421, message: 'this replica does not own that username (the replica lists differ); nothing was written, retry' },
} as const satisfies Record<string, ErrorSpec>;
