import { formatDuration, parseDuration } from '@usersys/config';
import type { FallbackRateLimiter, SharedLimitSettings } from '@usersys/rate-limiter';
import { AppError, asyncRoute } from '@usersys/service-kit';
import type { Express, Request } from 'express';
import { ERRORS } from '../errors';
import { requireAdminCaller, type Authentication } from './http-common';

/**
 * GET/PUT /admin/ratelimit/login: the login limit for every replica at once. The settings live in
 * Redis (`ratelimit:settings:login`); each replica polls them every second.
 */
export function registerAdminRoutes(app: Express, deps: Authentication & { loginLimiter: FallbackRateLimiter; loginSettings: SharedLimitSettings }): void {
  const requireAdmin = (req: Request) => requireAdminCaller(req, deps);
  const view = () => {
    const s = deps.loginLimiter.settings;
    return { code: ERRORS.OK.code, message: ERRORS.OK.message, data: { effective: s.enabled, value: s.points, window: formatDuration(s.windowMs) } };
  };

  app.get(
    '/admin/ratelimit/login',
    asyncRoute(async (req, res) => {
      await requireAdmin(req);
      // Read through to Redis so the answer is what every replica applies, not this one's last poll.
      await deps.loginSettings.refresh().catch(() => undefined);
      res.json(view());
    }),
  );

  app.put(
    '/admin/ratelimit/login',
    asyncRoute(async (req, res) => {
      await requireAdmin(req);
      const body = (req.body ?? {}) as { value?: unknown; window?: unknown; effective?: unknown };
      const current = deps.loginLimiter.settings;
      if (typeof body.value !== 'number' || !Number.isSafeInteger(body.value) || body.value < 1) throw new AppError(ERRORS.BAD_REQUEST, 'value must be a positive integer');
      if (body.effective !== undefined && typeof body.effective !== 'boolean') throw new AppError(ERRORS.BAD_REQUEST, 'effective must be a boolean');
      let windowMs = current.windowMs;
      if (body.window !== undefined) {
        try {
          if (typeof body.window !== 'string') throw new Error();
          windowMs = parseDuration(body.window);
        } catch {
          throw new AppError(ERRORS.BAD_REQUEST, 'window must be a duration such as 30s or 2m0s');
        }
        if (windowMs < 1000 || windowMs % 1000 !== 0) throw new AppError(ERRORS.BAD_REQUEST, 'window must be whole seconds, at least 1s');
      }
      try {
        await deps.loginSettings.save({ points: body.value, windowMs, enabled: body.effective ?? current.enabled });
      } catch (err) {
        throw new AppError(ERRORS.UNAVAILABLE, 'rate-limit settings store (Redis) unavailable; retry', { cause: err });
      }
      res.json(view());
    }),
  );
}
