import { AppError } from '@usersys/service-kit';
import { trace, traceparentOf } from '@usersys/tracing';
import type { Express, NextFunction, Request, Response } from 'express';
import { authorizeAdmin, type Caller } from '../domain/authorization';
import { parseRequest, pathUsername } from '../domain/request-schemas';
import { SessionRefusedError, type SessionCheck } from '../domain/session-check';
import { InvalidTokenError, type TokenService } from '../domain/tokens';
import { ERRORS } from '../errors';
import type { ForwardResponse } from './user-command-client';

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

/** What authenticates a request: the token's signature and claims, then the account check. */
export interface Authentication {
  tokens: TokenService;
  sessions: SessionCheck;
}

/**
 * Anonymous without an Authorization header; 401 for a malformed, forged or expired token and for
 * one whose session is over (account gone, replaced, not active, credentials changed, revoked).
 * The caller's role is the account's current role.
 */
export async function callerOf(req: Request, auth: Authentication): Promise<Caller> {
  const header = req.header('authorization');
  if (!header) return { kind: 'anonymous' };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError(ERRORS.UNAUTHENTICATED);
  try {
    const account = await auth.sessions.check(await auth.tokens.verifyAccess(match[1]));
    return { kind: 'user', username: account.username, role: account.role };
  } catch (err) {
    if (err instanceof InvalidTokenError || err instanceof SessionRefusedError) throw new AppError(ERRORS.UNAUTHENTICATED);
    throw err;
  }
}

/** The admin calling an admin route: 401 without a valid token, 403 for anyone else. */
export async function requireAdminCaller(req: Request, auth: Authentication): Promise<Caller> {
  const caller = await callerOf(req, auth);
  const decision = authorizeAdmin(caller);
  if (decision === 'unauthenticated') throw new AppError(ERRORS.UNAUTHENTICATED);
  if (decision === 'forbidden') throw new AppError(ERRORS.FORBIDDEN);
  return caller;
}

/** The caller's identity as user-command reads it (next to the internal token the client adds). */
export function callerHeaders(req: Request, caller: Caller): Record<string, string> {
  return {
    ...(caller.kind === 'user' ? { 'x-caller-id': caller.username, 'x-caller-role': caller.role } : { 'x-caller-role': 'anonymous' }),
    'x-client-ip': clientIp(req),
  };
}

/** user-command's answer, passed through unchanged (status, headers it chose, body). */
export function relayUpstream(res: Response, upstream: ForwardResponse): void {
  for (const [k, v] of Object.entries(upstream.headers)) res.setHeader(k, v);
  res.status(upstream.status).send(upstream.body);
}

/**
 * A path the gateway serves, asked with a method it does not serve: 405 with `Allow` (RFC 9110
 * 15.5.6) instead of the catch-all 404, so a client can tell a wrong method from a wrong path;
 * OPTIONS answers 204 with the same `Allow`. Registered after every route, from express's own
 * route table, so the list cannot drift from the routes.
 */
export function answerUnservedMethods(app: Express): void {
  const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router.stack;
  const methods = new Map<string, Set<string>>();
  for (const { route } of stack) {
    if (!route) continue;
    const served = methods.get(route.path) ?? new Set<string>();
    for (const m of Object.keys(route.methods)) served.add(m.toUpperCase());
    methods.set(route.path, served);
  }
  for (const [path, served] of methods) {
    if (served.has('GET')) served.add('HEAD');
    const allow = [...served, 'OPTIONS'].sort().join(', ');
    app.all(path, (req: Request, res: Response, next: NextFunction) => {
      if (req.method === 'OPTIONS') return void res.setHeader('Allow', allow).status(204).end();
      next(new AppError(ERRORS.METHOD_NOT_ALLOWED, undefined, { headers: { Allow: allow } }));
    });
  }
}
