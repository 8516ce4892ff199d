import { COMMON_ERRORS, type ErrorSpec } from '@usersys/service-kit';

/** auth-gateway's error catalog (120xxx). Every code is documented in ../ERRORS.md (a test checks). */
export const ERRORS = {
  ...COMMON_ERRORS,
  UPSTREAM_UNAVAILABLE: { code: 120001, status: 503, message: 'user-command is unavailable; retry' },
} as const satisfies Record<string, ErrorSpec>;
