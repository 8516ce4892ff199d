import { clientNetwork, type FallbackRateLimiter } from '@usersys/rate-limiter';
import { AppError, asyncRoute } from '@usersys/service-kit';
import { trace } from '@usersys/tracing';
import type { Express, Request } from 'express';
import { authorize, type Caller, type UserAction } from '../domain/authorization';
import type { CurrentPasswordCheck } from '../domain/current-password-check';
import { createUserSchema, gatewayUpdateUserSchema, parseRequest } from '../domain/request-schemas';
import { ERRORS } from '../errors';
import { callerHeaders as identity, callerOf, clientIp, relayUpstream as relay, type Authentication } from './http-common';
import type { UserCommandRouter } from './user-command-client';

/** Request ids are event ids: random UUIDs. Checked here so nothing else reaches user-command's path. */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface UserRouteDeps extends Authentication {
  userCommand: UserCommandRouter;
  writeLimiter: FallbackRateLimiter;
  currentPassword: CurrentPasswordCheck;
  onRateLimited?: () => void;
}

/**
 * The write front door: POST/PATCH/DELETE /v1/users…, the user reads and GET /v1/requests/:id, forwarded to user-command
 * with the caller's identity (x-caller-id, x-caller-role, x-client-ip) after authorisation and the
 * per-caller write limit. user-command's status and body pass through unchanged.
 */
export function registerUserRoutes(app: Express, deps: UserRouteDeps): void {
  const limitWrites = async (req: Request, caller: Caller) => {
    const key = caller.kind === 'user' ? `user:${caller.username}` : `ip:${clientNetwork(clientIp(req))}`;
    const result = await deps.writeLimiter.consume(key);
    if (!result.allowed) {
      deps.onRateLimited?.();
      throw new AppError(ERRORS.WRITE_RATE_LIMITED, undefined, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) } });
    }
  };
  const target = (req: Request) => {
    const username = String(req.params.username);
    trace.getActiveSpan()?.setAttribute('enduser.id', username);
    return username;
  };
  const guarded = async (req: Request, action: UserAction): Promise<{ caller: Caller; username: string }> => {
    const caller = await callerOf(req, deps);
    const username = target(req);
    const decision = authorize(caller, username, action);
    if (decision === 'unauthenticated') throw new AppError(ERRORS.UNAUTHENTICATED);
    if (decision === 'forbidden') throw new AppError(ERRORS.FORBIDDEN);
    return { caller, username };
  };
  const path = (username: string, suffix = '') => `/internal/users/${encodeURIComponent(username)}${suffix}`;

  app.post(
    '/v1/users',
    asyncRoute(async (req, res) => {
      const caller = await callerOf(req, deps);
      if (typeof req.body?.username === 'string') trace.getActiveSpan()?.setAttribute('enduser.id', req.body.username);
      // Checked here and again in user-command (same schema); the raw body is forwarded, user-command normalises it.
      // The parsed username (as user-command's fence parses it) picks the replica that owns the name.
      const { username } = parseRequest(createUserSchema, req.body ?? {}, undefined, ERRORS.BODY_INVALID);
      await limitWrites(req, caller);
      relay(res, await deps.userCommand.forward({ method: 'POST', path: '/internal/users', routeKey: username, body: req.body ?? {}, headers: identity(req, caller) }));
    }),
  );

  // Anyone holding a request id may follow it (it reveals no more than the 202 did): no token needed.
  app.get(
    '/v1/requests/:requestId',
    asyncRoute(async (req, res) => {
      const requestId = String(req.params.requestId);
      if (!REQUEST_ID.test(requestId)) throw new AppError(ERRORS.BAD_REQUEST, 'requestId: must be a UUID');
      trace.getActiveSpan()?.setAttribute('event.id', requestId);
      relay(res, await deps.userCommand.forward({ method: 'GET', path: `/internal/requests/${requestId}`, routeKey: requestId, headers: { 'x-caller-role': 'anonymous', 'x-client-ip': clientIp(req) } }));
    }),
  );

  // The user or an admin, like the user itself (docs/api.md): an anonymous creator follows its request id.
  app.get(
    '/v1/users/:username/state',
    asyncRoute(async (req, res) => {
      const { caller, username } = await guarded(req, 'read');
      relay(res, await deps.userCommand.forward({ method: 'GET', path: path(username, '/state'), routeKey: username, headers: identity(req, caller) }));
    }),
  );

  app.get(
    '/v1/users/:username',
    asyncRoute(async (req, res) => {
      const { caller, username } = await guarded(req, 'read');
      relay(res, await deps.userCommand.forward({ method: 'GET', path: path(username), routeKey: username, headers: identity(req, caller) }));
    }),
  );

  app.patch(
    '/v1/users/:username',
    asyncRoute(async (req, res) => {
      const { caller, username } = await guarded(req, 'update');
      parseRequest(gatewayUpdateUserSchema, req.body ?? {}, undefined, ERRORS.BODY_INVALID);
      await limitWrites(req, caller);
      const body = await deps.currentPassword.bodyToForward({ admin: caller.kind === 'user' && caller.role === 'admin', username, network: clientNetwork(clientIp(req)), body: req.body ?? {} });
      relay(res, await deps.userCommand.forward({ method: 'PATCH', path: path(username), routeKey: username, body, headers: identity(req, caller) }));
    }),
  );

  app.delete(
    '/v1/users/:username/force',
    asyncRoute(async (req, res) => {
      const { caller, username } = await guarded(req, 'force_delete');
      await limitWrites(req, caller);
      relay(res, await deps.userCommand.forward({ method: 'DELETE', path: path(username, '/force'), routeKey: username, headers: identity(req, caller) }));
    }),
  );

  app.delete(
    '/v1/users/:username',
    asyncRoute(async (req, res) => {
      const { caller, username } = await guarded(req, 'delete');
      await limitWrites(req, caller);
      relay(res, await deps.userCommand.forward({ method: 'DELETE', path: path(username), routeKey: username, headers: identity(req, caller) }));
    }),
  );
}
