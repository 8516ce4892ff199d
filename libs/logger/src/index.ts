export { createLogger, REDACTED_PATHS } from './logger';
export type { Logger } from './logger';
