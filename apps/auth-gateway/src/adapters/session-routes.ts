import { AppError, asyncRoute } from '@usersys/service-kit';
import type { Express } from 'express';
import { parseRequest, refreshBody } from '../domain/request-schemas';
import { SessionRefusedError } from '../domain/session-check';
import { InvalidTokenError } from '../domain/tokens';
import { ERRORS } from '../errors';
import type { Authentication } from './http-common';

/** A refused token is 401 (120104); a store that did not answer is 503 (the client may retry the same token). */
function tokenFailure(err: unknown): AppError {
  if (err instanceof InvalidTokenError || err instanceof SessionRefusedError) return new AppError(ERRORS.INVALID_REFRESH_TOKEN);
  if (err instanceof AppError) return err;
  return new AppError(ERRORS.TOKEN_STORE_UNAVAILABLE, undefined, { cause: err });
}

/**
 * POST /v1/auth/refresh: verify the JWT, check the account (SessionCheck), then rotate in Redis and
 * sign (TokenService.refresh). POST /v1/auth/logout: revokes the presented token's family (204,
 * also when it already was revoked).
 */
export function registerSessionRoutes(app: Express, deps: Authentication): void {
  app.post(
    '/v1/auth/refresh',
    asyncRoute(async (req, res) => {
      const { refreshToken } = parseRequest(refreshBody, req.body);
      let pair;
      try {
        pair = await deps.tokens.refresh(refreshToken, (claims) => deps.sessions.check(claims));
      } catch (err) {
        throw tokenFailure(err);
      }
      res.setHeader('Cache-Control', 'no-store');
      res.json(pair);
    }),
  );

  app.post(
    '/v1/auth/logout',
    asyncRoute(async (req, res) => {
      const { refreshToken } = parseRequest(refreshBody, req.body);
      try {
        await deps.tokens.revokeFamily(refreshToken);
      } catch (err) {
        throw tokenFailure(err);
      }
      res.status(204).end();
    }),
  );
}
