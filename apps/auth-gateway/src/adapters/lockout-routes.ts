import { AppError } from '@usersys/service-kit';
import type { Express, Request } from 'express';
import { authorizeAdmin } from '../domain/authorization';
import type { BruteForceGuard } from '../domain/brute-force-guard';
import { ERRORS } from '../errors';
import { asyncRoute, callerOf, type Authentication } from './http-common';

/**
 * GET /admin/lockouts/:username → 200 {locked, until?, failures}; DELETE → 204 (every network's
 * counter and the one across networks). Admin only. The username is taken as given, like login.
 */
export function registerLockoutRoutes(app: Express, deps: Authentication & { lockout: BruteForceGuard }): void {
  const requireAdmin = async (req: Request) => {
    const decision = authorizeAdmin(await callerOf(req, deps));
    if (decision === 'unauthenticated') throw new AppError(ERRORS.UNAUTHENTICATED);
    if (decision === 'forbidden') throw new AppError(ERRORS.FORBIDDEN);
  };

  app.get(
    '/admin/lockouts/:username',
    asyncRoute(async (req, res) => {
      await requireAdmin(req);
      const status = await deps.lockout.status(String(req.params.username));
      res.setHeader('Cache-Control', 'no-store');
      res.json({ locked: status.locked, ...(status.until ? { until: status.until.toISOString() } : {}), failures: status.failures });
    }),
  );

  app.delete(
    '/admin/lockouts/:username',
    asyncRoute(async (req, res) => {
      await requireAdmin(req);
      await deps.lockout.clear(String(req.params.username));
      res.status(204).end();
    }),
  );
}
