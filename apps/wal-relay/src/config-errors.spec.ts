import { describeConfigErrors, type Env } from '@usersys/test-infra/config-errors';
import path from 'node:path';
import { loadConfig } from './config';

// A bad value of any variable this service validates stops start-up with one line naming it
// (the check: libs/test-infra/src/config-errors.ts).

/** Each variable config.ts validates, with a value (or a whole environment) it refuses. */
const BAD: Record<string, string | Env> = {
  WAL_RELAY_PORT: '65536',
  WAL_RELAY_HOST: 'a b',
  RELAY_BATCH_MAX_RECORDS: '0',
  RELAY_BATCH_MAX_BYTES: '100',
  RELAY_LINGER: '5',
  RELAY_MAX_IN_FLIGHT: '65',
  RELAY_COMPRESSION: 'zstd',
  RELAY_POLL_INTERVAL: '0ms',
  RELAY_RETRY_INITIAL: 'fast',
  RELAY_RETRY_MAX: '10 s',
  RELAY_READ_ERROR_PAUSE: '0s',
  RELAY_CHECKPOINT_INTERVAL: 'often',
  WAL_BACKLOG_WARN: '-1',
  WAL_OLDEST_AGE_WARN: '5',
  WAL_ACKED_SEGMENTS: 'shred',
};

/** Read by config.ts, but any value is valid. */
const FREE_TEXT = ['WAL_ARCHIVE_DIR'];

describeConfigErrors({ loadConfig, configFile: path.join(__dirname, 'config.ts'), bad: BAD, freeText: FREE_TEXT });
