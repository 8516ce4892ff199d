import { AppError } from '@usersys/service-kit';
import { currentTraceId, injectTraceContext, trace } from '@usersys/tracing';
import type { Express, NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { createUser, type CreateUserDeps } from '../domain/create-user';
import { requestState } from '../domain/request-state';
import type { RejectionRecords } from '../domain/ports';
import { createUserSchema, parseWith, usernameSchema } from '../domain/validation';
import { ERRORS } from '../errors';

export interface RouteDeps extends CreateUserDeps {
  rejections: RejectionRecords;
  internalToken: string;
}

const asyncRoute = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

/** Only the gateway may call user-command: it presents the shared internal credential. */
function requireInternalToken(token: string) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    const given = Buffer.from(req.header('x-internal-token') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return next(new AppError(ERRORS.UNAUTHENTICATED));
    next();
  };
}

function validUsername(raw: string): string {
  const parsed = parseWith(usernameSchema, raw);
  if (!parsed.ok) throw new AppError(ERRORS.VALIDATION_FAILED, 'username: must be 3-32 characters of letters, digits, _ . -', { details: { problems: [{ field: 'username', reason: parsed.problems[0].reason }] } });
  return parsed.value;
}

export function registerRoutes(app: Express, deps: RouteDeps): void {
  app.use('/internal', requireInternalToken(deps.internalToken));

  app.post(
    '/internal/users',
    asyncRoute(async (req, res) => {
      const parsed = parseWith(createUserSchema, req.body);
      if (!parsed.ok) {
        const first = parsed.problems[0];
        throw new AppError(ERRORS.VALIDATION_FAILED, `${first.field}: ${first.reason}`, { details: { problems: parsed.problems } });
      }
      trace.getActiveSpan()?.setAttribute('enduser.id', parsed.value.username);
      const result = await createUser(deps, parsed.value, { ...injectTraceContext(), traceId: currentTraceId() });
      res.status(202).setHeader('Location', `/v1/users/${parsed.value.username}`);
      res.json({ username: parsed.value.username, state: 'pending', ...(result.eventId ? { eventId: result.eventId } : {}) });
    }),
  );

  app.get(
    '/internal/users/:username/state',
    asyncRoute(async (req, res) => {
      const username = validUsername(String(req.params.username));
      const state = await requestState(deps, username);
      if (!state) throw new AppError(ERRORS.USER_NOT_FOUND);
      res.json(state);
    }),
  );
}
