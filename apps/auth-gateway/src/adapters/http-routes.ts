import { trace, traceparentOf } from '@usersys/tracing';
import type { Express, NextFunction, Request, Response } from 'express';
import type { UserCommandClient } from './user-command-client';

const asyncRoute = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

/** Every response carries the request's `traceparent` so a client can report the trace id. */
export function traceparentResponseHeader(req: Request, res: Response, next: NextFunction): void {
  const span = trace.getActiveSpan();
  if (span) res.setHeader('traceparent', traceparentOf(span));
  next();
}

export function registerRoutes(app: Express, deps: { userCommand: UserCommandClient }): void {
  const relay = async (res: Response, forwarded: Promise<{ status: number; headers: Record<string, string>; body: Buffer }>) => {
    const upstream = await forwarded;
    for (const [k, v] of Object.entries(upstream.headers)) res.setHeader(k, v);
    res.status(upstream.status).send(upstream.body);
  };
  const identity = (req: Request) => ({ 'x-caller': 'anonymous', 'x-client-ip': req.socket.remoteAddress ?? '' });

  app.post(
    '/v1/users',
    asyncRoute(async (req, res) => {
      if (typeof req.body?.username === 'string') trace.getActiveSpan()?.setAttribute('enduser.id', req.body.username);
      await relay(res, deps.userCommand.forward({ method: 'POST', path: '/internal/users', body: req.body ?? {}, headers: identity(req) }));
    }),
  );

  app.get(
    '/v1/users/:username/state',
    asyncRoute(async (req, res) => {
      await relay(res, deps.userCommand.forward({ method: 'GET', path: `/internal/users/${encodeURIComponent(String(req.params.username))}/state`, headers: identity(req) }));
    }),
  );
}
