import { COMMON_ERRORS, type ErrorSpec } from '@usersys/service-kit';

/** user-consumer's error catalog (140xxx), for its admin endpoint. Every code is documented in ../ERRORS.md (a test checks). */
export const ERRORS = {
  ...COMMON_ERRORS,
  UNAUTHENTICATED: { code: 140001, status: 401, message: 'missing or wrong internal credential' },
  INVALID_SETTING: { code: 140002, status: 400, message: 'body must be {"degrade": true|false}' },
  SETTINGS_UNAVAILABLE: { code: 140003, status: 503, message: 'cannot store the setting right now (Redis unavailable); retry' },
} as const satisfies Record<string, ErrorSpec>;
