import { AppError } from '@usersys/service-kit';
import type { Express } from 'express';
import type { LoginService } from '../domain/login-service';
import type { UserDirectory } from '../domain/ports';
import { parseRequest, refreshBody } from '../domain/request-schemas';
import { InvalidTokenError, type TokenService } from '../domain/tokens';
import { ERRORS } from '../errors';
import { asyncRoute, clientIp, traceOf } from './http-common';

export function registerAuthRoutes(app: Express, deps: { login: LoginService; tokens: TokenService; users: UserDirectory }): void {
  app.post(
    '/v1/auth/login',
    asyncRoute(async (req, res) => {
      const tokens = await deps.login.login({ body: req.body, clientIp: clientIp(req), userAgent: req.header('user-agent') ?? null, ...traceOf() });
      res.setHeader('Cache-Control', 'no-store');
      res.json(tokens);
    }),
  );

  app.post(
    '/v1/auth/refresh',
    asyncRoute(async (req, res) => {
      const { refreshToken } = parseRequest(refreshBody, req.body);
      try {
        const pair = await deps.tokens.refresh(refreshToken, async (username) => {
          const user = await deps.users.find(username);
          return user?.state === 'active' ? user.role : null;
        });
        res.setHeader('Cache-Control', 'no-store');
        res.json(pair);
      } catch (err) {
        if (err instanceof InvalidTokenError) throw new AppError(ERRORS.INVALID_REFRESH_TOKEN);
        if (err instanceof AppError) throw err;
        throw new AppError(ERRORS.TOKEN_STORE_UNAVAILABLE, undefined, { cause: err });
      }
    }),
  );
}
