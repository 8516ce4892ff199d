import { asyncRoute } from '@usersys/service-kit';
import type { Express, Request } from 'express';
import type { BruteForceGuard } from '../domain/brute-force-guard';
import { requireAdminCaller, type Authentication } from './http-common';

/**
 * GET /admin/lockouts/:username → 200 {locked, until?, failures}; DELETE → 204 (every network's
 * counter and the one across networks). Admin only. The username is taken as given, like login.
 */
export function registerLockoutRoutes(app: Express, deps: Authentication & { lockout: BruteForceGuard }): void {
  const requireAdmin = (req: Request) => requireAdminCaller(req, deps);

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
