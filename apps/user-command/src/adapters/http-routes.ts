import { AppError, asyncRoute, requireInternalToken } from '@usersys/service-kit';
import { currentTraceId, injectTraceContext, trace } from '@usersys/tracing';
import type { Logger } from '@usersys/logger';
import type { Express, Request, Response } from 'express';
import { changeAccountAccess, type AccountAccessChange } from '../domain/account-access';
import { authorize, callerFrom, type Caller } from '../domain/caller';
import { createUser, type CreateUserDeps } from '../domain/create-user';
import { deleteUser } from '../domain/delete-user';
import { getUser } from '../domain/get-user';
import type { RejectionRecords, RequestTrace } from '../domain/ports';
import type { UsernameOwnership } from '../domain/ownership';
import { isRequestId, requestOutcome, type RequestOutcomeDeps } from '../domain/request-outcome';
import { requestState } from '../domain/request-state';
import { updateUser } from '../domain/update-user';
import { createUserSchema, parseWith, updateUserSchema, usernameSchema } from '@usersys/api-contract';
import { ERRORS } from '../errors';

export interface RouteDeps extends CreateUserDeps, RequestOutcomeDeps {
  rejections: RejectionRecords;
  /** The fence: writes only for usernames this replica owns. */
  ownership: UsernameOwnership;
  internalToken: string;
  log: Logger;
}

function parsed<T>(schema: Parameters<typeof parseWith<T>>[0], body: unknown): T {
  const result = parseWith(schema, body);
  if (result.ok) return result.value;
  const first = result.problems[0];
  throw new AppError(ERRORS.VALIDATION_FAILED, `${first.field}: ${first.reason}`, { details: { problems: result.problems } });
}

/** The path's username, validated, and tagged on the request span so Jaeger finds it by user. */
function pathUser(req: Request): string {
  const username = parsed(usernameSchema, String(req.params.username));
  trace.getActiveSpan()?.setAttribute('enduser.id', username);
  return username;
}

const callerOf = (req: Request) => callerFrom(req.header('x-caller-id'), req.header('x-caller-role'));
const requestTrace = (): RequestTrace => ({ ...injectTraceContext(), traceId: currentTraceId() });

/** Every 202: the request id (= event id) and where to follow it. */
function accepted(res: Response, username: string, requestId: string): void {
  res.status(202).setHeader('Location', `/v1/requests/${requestId}`);
  res.json({ requestId, username, state: 'pending' });
}

/**
 * Every write an admin makes is logged as one "admin action" line: who, on whom, what, and the
 * names of the fields it set (never their values: a password or a hash must not reach a log).
 */
function logAdminAction(log: Logger, caller: Caller, target: string, action: string, requestId: string, fields: string[] = []): void {
  if (caller.role !== 'admin') return;
  log.info({ admin: caller.id, target, action, fields, requestId }, 'admin action');
}

export function registerRoutes(app: Express, deps: RouteDeps): void {
  app.use('/internal', requireInternalToken(deps.internalToken, ERRORS.UNAUTHENTICATED)); // only the gateway may call user-command

  app.post(
    '/internal/users',
    asyncRoute(async (req, res) => {
      const input = parsed(createUserSchema, req.body);
      trace.getActiveSpan()?.setAttribute('enduser.id', input.username);
      deps.ownership.checkWrite(input.username);
      const result = await createUser(deps, input, requestTrace());
      logAdminAction(deps.log, callerOf(req), input.username, 'create', result.eventId, Object.keys(input));
      if (result.outcome === 'accepted') deps.log.info({ username: input.username, status: 'accepted', eventId: result.eventId, eventType: 'user.created' }, 'sign-up accepted');
      else deps.log.info({ username: input.username, status: 'in_progress', eventId: result.eventId, ttl_remaining: Math.round(result.ttlRemainingMs / 1000) }, 'sign-up already in progress; marker refreshed');
      accepted(res, input.username, result.eventId);
    }),
  );

  app.get(
    '/internal/users/:username',
    asyncRoute(async (req, res) => {
      const username = pathUser(req);
      res.json(await getUser(deps, callerOf(req), username));
    }),
  );

  app.get(
    '/internal/users/:username/state',
    asyncRoute(async (req, res) => {
      const username = pathUser(req);
      authorize(callerOf(req), 'self-or-admin', username); // the gateway's rule again (docs/api.md: the user or an admin)
      const state = await requestState(deps, username);
      if (!state) throw new AppError(ERRORS.USER_NOT_FOUND);
      res.json(state);
    }),
  );

  app.get(
    '/internal/requests/:requestId',
    asyncRoute(async (req, res) => {
      const requestId = String(req.params.requestId);
      if (!isRequestId(requestId)) throw new AppError(ERRORS.VALIDATION_FAILED, 'requestId: must be a UUID', { details: { problems: [{ field: 'requestId', reason: 'must be a UUID' }] } });
      trace.getActiveSpan()?.setAttribute('event.id', requestId);
      const outcome = await requestOutcome(deps, requestId);
      if (!outcome) throw new AppError(ERRORS.REQUEST_NOT_FOUND);
      res.json(outcome);
    }),
  );

  app.patch(
    '/internal/users/:username',
    asyncRoute(async (req, res) => {
      const username = pathUser(req);
      deps.ownership.checkWrite(username);
      const caller = callerOf(req);
      authorize(caller, 'self-or-admin', username); // before validation: say nothing to a stranger
      const input = parsed(updateUserSchema, req.body);
      const { eventId } = await updateUser(deps, caller, username, input, requestTrace());
      deps.log.info({ username, status: 'accepted', eventId, eventType: 'user.updated', caller: caller.id }, 'update accepted');
      logAdminAction(deps.log, caller, username, 'update', eventId, Object.keys(input));
      accepted(res, username, eventId);
    }),
  );

  app.delete(
    '/internal/users/:username',
    asyncRoute(async (req, res) => {
      const username = pathUser(req);
      deps.ownership.checkWrite(username);
      const caller = callerOf(req);
      const { eventId } = await deleteUser(deps, caller, username, 'soft', requestTrace());
      deps.log.info({ username, status: 'accepted', eventId, eventType: 'user.deleted', caller: caller.id }, 'delete accepted');
      logAdminAction(deps.log, caller, username, 'delete', eventId);
      accepted(res, username, eventId);
    }),
  );

  app.delete(
    '/internal/users/:username/force',
    asyncRoute(async (req, res) => {
      const username = pathUser(req);
      deps.ownership.checkWrite(username);
      const caller = callerOf(req);
      const { eventId } = await deleteUser(deps, caller, username, 'force', requestTrace());
      deps.log.info({ username, status: 'accepted', eventId, eventType: 'user.force_deleted', caller: caller.id }, 'force delete accepted');
      logAdminAction(deps.log, caller, username, 'force_delete', eventId);
      accepted(res, username, eventId);
    }),
  );

  // Admin only: disable (revokes the account's sessions) and enable.
  for (const change of ['disable', 'enable'] as const satisfies AccountAccessChange[]) {
    app.post(
      `/internal/users/:username/${change}`,
      asyncRoute(async (req, res) => {
        const username = pathUser(req);
        deps.ownership.checkWrite(username);
        const caller = callerOf(req);
        const { eventId } = await changeAccountAccess(deps, caller, username, change, requestTrace());
        deps.log.info({ username, status: 'accepted', eventId, eventType: `user.${change}d`, caller: caller.id }, `${change} accepted`);
        logAdminAction(deps.log, caller, username, change, eventId);
        accepted(res, username, eventId);
      }),
    );
  }
}
