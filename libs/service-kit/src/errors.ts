import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';

/** One entry of a service's error catalog: a stable numeric code clients can rely on. */
export interface ErrorSpec {
  code: number;
  status: number;
  message: string;
}

/** Codes every service shares; each app's `errors.ts` adds its own in its own range. */
export const COMMON_ERRORS = {
  OK: { code: 100001, status: 200, message: 'ok' },
  INTERNAL: { code: 100002, status: 500, message: 'internal error' },
  BAD_REQUEST: { code: 100003, status: 400, message: 'bad request' },
  NOT_FOUND: { code: 100004, status: 404, message: 'not found' },
  INVALID_JSON: { code: 100005, status: 400, message: 'request body is not valid JSON' },
  BODY_TOO_LARGE: { code: 100006, status: 413, message: 'request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { code: 100007, status: 415, message: 'request body must be application/json' },
  UNAVAILABLE: { code: 100008, status: 503, message: 'service unavailable' },
  // Refusals that come from Node or the router rather than a route (see http.ts).
  MALFORMED_PATH: { code: 100009, status: 400, message: 'request path holds malformed percent-encoding' },
  HEADERS_TOO_LARGE: { code: 100010, status: 431, message: 'request headers too large' },
  MALFORMED_REQUEST: { code: 100011, status: 400, message: 'malformed HTTP request' },
  REQUEST_TIMEOUT: { code: 100012, status: 408, message: 'request not received in time' },
} as const satisfies Record<string, ErrorSpec>;

export class AppError extends Error {
  readonly code: number;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(spec: ErrorSpec, message?: string, extra: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message ?? spec.message, { cause: extra.cause });
    this.name = 'AppError';
    this.code = spec.code;
    this.status = spec.status;
    this.details = extra.details;
    this.headers = extra.headers;
  }
}

/** Maps every error to the contract shape `{code, message}` with the right HTTP status. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let appErr: AppError;
    if (err instanceof AppError) appErr = err;
    else if (err?.type === 'entity.too.large') appErr = new AppError(COMMON_ERRORS.BODY_TOO_LARGE);
    else if (err?.type === 'entity.parse.failed') appErr = new AppError(COMMON_ERRORS.INVALID_JSON);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') appErr = new AppError(COMMON_ERRORS.UNSUPPORTED_MEDIA_TYPE);
    // The router could not percent-decode a path parameter (e.g. /v1/users/%E0%A4%A).
    else if (err instanceof URIError && (err as { status?: number }).status === 400) appErr = new AppError(COMMON_ERRORS.MALFORMED_PATH);
    else {
      log.error({ err }, 'unhandled error');
      appErr = new AppError(COMMON_ERRORS.INTERNAL);
    }
    if (appErr.status >= 500 && err instanceof AppError) log.warn({ code: appErr.code, err: appErr.cause ?? appErr }, appErr.message);
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(appErr.headers ?? {})) res.setHeader(k, v);
    res.status(appErr.status).json({ code: appErr.code, message: appErr.message, ...(appErr.details ? { details: appErr.details } : {}) });
  };
}

/**
 * What is wrong with an error catalog against its ERRORS.md (like fastify's check that every
 * error code is documented): each code must appear in a `| code | status |` table row, once.
 */
export function catalogProblems(catalog: Record<string, ErrorSpec>, markdown: string): string[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const [name, spec] of Object.entries(catalog)) {
    if (seen.has(spec.code)) problems.push(`${name} reuses code ${spec.code} of ${seen.get(spec.code)}`);
    seen.set(spec.code, name);
    if (!new RegExp(`\\|\\s*${spec.code}\\s*\\|\\s*${spec.status}\\s*\\|`).test(markdown)) problems.push(`${name} (${spec.code}, HTTP ${spec.status}) is not documented`);
  }
  return problems;
}
