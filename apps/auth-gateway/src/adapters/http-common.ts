import { AppError } from '@usersys/service-kit';
import { trace, traceparentOf } from '@usersys/tracing';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Caller } from '../domain/authorization';
import { parseRequest, pathUsername } from '../domain/request-schemas';
import { InvalidTokenError, type TokenService } from '../domain/tokens';
import { ERRORS } from '../errors';

export const asyncRoute = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

/**
 * Refuses an unsafe `:username` path parameter (control characters, unpaired surrogates) with 400
 * naming it, on every route that has one, before the route's handler (authorisation included)
 * runs. Registered once on the app; express runs it for each matching route.
 */
export function validatePathParameters(app: Express): void {
  app.param('username', (_req: Request, _res: Response, next: NextFunction, value: string) => {
    try {
      parseRequest(pathUsername, value, 'username');
      next();
    } catch (err) {
      next(err);
    }
  });
}

/** Every response carries the request's `traceparent` so a client can report the trace id. */
export function traceparentResponseHeader(_req: Request, res: Response, next: NextFunction): void {
  const span = trace.getActiveSpan();
  if (span) res.setHeader('traceparent', traceparentOf(span));
  next();
}

/**
 * The client's address: the socket peer, unless TRUST_PROXY lists that peer as a proxy; then
 * express walks X-Forwarded-For from the right, skipping only trusted proxies, so a client cannot
 * pick its own address by sending the header.
 */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function traceOf(): { traceId: string | null; traceparent?: string } {
  const span = trace.getActiveSpan();
  if (!span) return { traceId: null };
  return { traceId: span.spanContext().traceId, traceparent: traceparentOf(span) };
}

/** Anonymous without an Authorization header; 401 for a malformed, forged or expired token. */
export async function callerOf(req: Request, tokens: TokenService): Promise<Caller> {
  const header = req.header('authorization');
  if (!header) return { kind: 'anonymous' };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError(ERRORS.UNAUTHENTICATED);
  try {
    return { kind: 'user', ...(await tokens.verifyAccess(match[1])) };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new AppError(ERRORS.UNAUTHENTICATED);
    throw err;
  }
}
