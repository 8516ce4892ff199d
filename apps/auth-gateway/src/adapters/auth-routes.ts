import { asyncRoute } from '@usersys/service-kit';
import type { Express } from 'express';
import type { LoginService } from '../domain/login-service';
import { clientIp, traceOf } from './http-common';

/** POST /v1/auth/login (refresh and logout: session-routes.ts). */
export function registerAuthRoutes(app: Express, deps: { login: LoginService }): void {
  app.post(
    '/v1/auth/login',
    asyncRoute(async (req, res) => {
      const tokens = await deps.login.login({ body: req.body, clientIp: clientIp(req), userAgent: req.header('user-agent') ?? null, ...traceOf() });
      res.setHeader('Cache-Control', 'no-store');
      res.json(tokens);
    }),
  );
}
