import { AppError, requireInternalToken } from '@usersys/service-kit';
import type { Express } from 'express';
import { ERRORS } from '../errors';
import type { DegradeSwitch } from './degrade-switch';

/** `GET|PUT /admin/degrade` (x-internal-token): read or flip the degrade switch for every replica. */
export function adminRoutes(degrade: DegradeSwitch, internalToken: string) {
  return (app: Express) => {
    app.use('/admin', requireInternalToken(internalToken, ERRORS.UNAUTHENTICATED));
    app.get('/admin/degrade', (_req, res) => {
      res.json({ code: ERRORS.OK.code, message: ERRORS.OK.message, data: degrade.describe() });
    });
    app.put('/admin/degrade', async (req, res) => {
      const value = (req.body as { degrade?: unknown } | undefined)?.degrade;
      if (typeof value !== 'boolean') throw new AppError(ERRORS.INVALID_SETTING);
      try {
        await degrade.set(value);
      } catch (err) {
        throw new AppError(ERRORS.SETTINGS_UNAVAILABLE, undefined, { cause: err });
      }
      res.json({ code: ERRORS.OK.code, message: ERRORS.OK.message, data: degrade.describe() });
    });
  };
}
