import { asyncRoute } from '@usersys/service-kit';
import { trace } from '@usersys/tracing';
import type { Express } from 'express';
import type { UserCommandRouter } from './user-command-client';
import { callerHeaders, relayUpstream, requireAdminCaller, type Authentication } from './http-common';

/**
 * POST /admin/users/:username/disable and /enable (admin only): forwarded to user-command's
 * `/internal/users/:username/disable|enable` with the caller's identity; its answer (202 with a
 * request id, 404, ...) passes through. Disabling raises the account's credential version, so
 * its tokens stop working (SessionCheck); enabling lets it log in again with new ones.
 */
export function registerAccountAdminRoutes(app: Express, deps: Authentication & { userCommand: UserCommandRouter }): void {
  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/admin/users/:username/${action}`,
      asyncRoute(async (req, res) => {
        const caller = await requireAdminCaller(req, deps);
        const username = String(req.params.username);
        trace.getActiveSpan()?.setAttribute('enduser.id', username);
        relayUpstream(res, await deps.userCommand.forward({ method: 'POST', path: `/internal/users/${encodeURIComponent(username)}/${action}`, routeKey: username, body: req.body ?? {}, headers: callerHeaders(req, caller) }));
      }),
    );
  }
}
