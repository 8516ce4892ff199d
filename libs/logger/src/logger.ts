import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Secrets never reach a log line: every field that can hold one is censored wherever it sits
 * (top level, one or two levels down, and in request bodies/headers).
 */
const SECRET_KEYS = ['password', 'currentPassword', 'passwordHash', 'password_hash', 'newPassword', 'accessToken', 'refreshToken', 'token', 'authorization', 'secret', 'jwtSecret', 'cookie'];
export const REDACTED_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers["x-internal-token"]',
  'headers["x-internal-token"]',
];

/**
 * JSON logs with `service`, and `trace_id`/`span_id` of the active span on every line written
 * inside one, so an engineer can pivot from a log line to the trace in Jaeger.
 */
export function createLogger(service: string, options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin() {
        const ctx = trace.getActiveSpan()?.spanContext();
        return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
      },
    },
    options.destination,
  );
}
