import { COMMON_ERRORS, type ErrorSpec } from '@usersys/service-kit';

/** auth-gateway's error catalog (120xxx). Every code is documented in ../ERRORS.md (a test checks). */
export const ERRORS = {
  ...COMMON_ERRORS,
  // A sign-up or update body refused at the edge: user-command's own code and message for the same
  // refusal (it checks the forwarded body again with the same schema), so a client sees one answer
  // whichever service refuses it.
  BODY_INVALID: { code: 110001, status: 400, message: 'validation failed' },
  UPSTREAM_UNAVAILABLE: { code: 120001, status: 503, message: 'user-command is unavailable; nothing was written, retry' },
  UPSTREAM_OUTCOME_UNKNOWN: { code: 120002, status: 504, message: 'user-command did not answer; the request may or may not have been accepted: check the user or retry' },
  UPSTREAM_NOT_OWNER: { code: 120004, status: 503, message: 'the user-command replicas are changing; nothing was written, retry' },
  METHOD_NOT_ALLOWED: { code: 120003, status: 405, message: 'method not allowed for this path; see the Allow header' },
  INVALID_CREDENTIALS: { code: 120101, status: 401, message: 'invalid username or password' },
  LOGIN_BUSY: { code: 120102, status: 503, message: 'login is busy, please retry shortly' },
  LOGIN_RATE_LIMITED: { code: 120103, status: 429, message: 'too many login attempts; retry later' },
  INVALID_REFRESH_TOKEN: { code: 120104, status: 401, message: 'refresh token is invalid, expired or revoked' },
  TOKEN_STORE_UNAVAILABLE: { code: 120105, status: 503, message: 'token store unavailable; retry' },
  PASSWORD_CHECK_BUSY: { code: 120106, status: 503, message: 'password checking is busy; retry after the time in Retry-After' },
  UNAUTHENTICATED: { code: 120201, status: 401, message: 'missing or invalid access token' },
  FORBIDDEN: { code: 120202, status: 403, message: 'not allowed for this caller' },
  WRITE_RATE_LIMITED: { code: 120203, status: 429, message: 'too many write requests; retry later' },
  CURRENT_PASSWORD_REQUIRED: { code: 120301, status: 401, message: 'currentPassword is required to change the password or email' },
  CURRENT_PASSWORD_WRONG: { code: 120302, status: 403, message: 'currentPassword is wrong' },
} as const satisfies Record<string, ErrorSpec>;
