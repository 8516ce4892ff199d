import type { Logger } from '@usersys/logger';
import type { Instrumentation } from './ports';

/** Logs only, no spans: the default when no instrumentation is given (unit tests). */
export function quietInstrumentation(log: Logger): Instrumentation {
  return {
    log,
    begin: (_msg, event, degrade) => ({ event, degrade: degrade !== false }),
    step: () => ({ done: () => {} }),
    end: (t, outcome, message, error) => {
      const fields = { username: t.event.username, event_id: t.event.eventId, event_type: t.event.type, step: 'consume', status: outcome, ...(error ? { err: error } : {}) };
      if (outcome === 'retry' || outcome === 'dead_letter') log.warn(fields, message ?? 'event not applied');
      else log.debug(fields, message ?? 'event processed');
    },
    warn: (t, fields, message) => log.warn({ username: t.event.username, event_id: t.event.eventId, ...fields }, message),
  };
}
