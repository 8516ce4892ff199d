import type { FallbackRateLimiter, SharedLimitSettings } from '@usersys/rate-limiter';
import type { Express } from 'express';
import type { GatewayConfig } from '../config';
import type { BruteForceGuard } from '../domain/brute-force-guard';
import type { CurrentPasswordCheck } from '../domain/current-password-check';
import type { LoginService } from '../domain/login-service';
import { registerAccountAdminRoutes } from './account-admin-routes';
import { registerAdminRoutes } from './admin-routes';
import { registerApiDocsRoutes } from './api-docs-routes';
import { registerAuthRoutes } from './auth-routes';
import { answerUnservedMethods, validatePathParameters, type Authentication } from './http-common';
import { registerLockoutRoutes } from './lockout-routes';
import { registerSessionRoutes } from './session-routes';
import type { UserCommandRouter } from './user-command-client';
import { registerUserRoutes } from './user-routes';

export interface GatewayRouteDeps {
  trustProxy: GatewayConfig['trustProxy'];
  auth: Authentication;
  login: LoginService;
  userCommand: UserCommandRouter;
  writeLimiter: FallbackRateLimiter;
  onWriteRateLimited: () => void;
  currentPassword: CurrentPasswordCheck;
  loginLimiter: FallbackRateLimiter;
  loginSettings: SharedLimitSettings;
  lockout: BruteForceGuard;
}

/**
 * Every route of the gateway (besides /healthz, /readyz and /metrics, which service-kit adds), in
 * one function: the service registers them through it, and edge-validation.int.spec.ts lists them
 * through it to check each is in the OpenAPI document. Registration only stores `deps`; handlers use them.
 */
export function registerGatewayRoutes(app: Express, deps: GatewayRouteDeps): void {
  app.set('trust proxy', deps.trustProxy);
  validatePathParameters(app);
  registerApiDocsRoutes(app);
  registerAuthRoutes(app, { login: deps.login });
  registerSessionRoutes(app, deps.auth);
  registerUserRoutes(app, { ...deps.auth, userCommand: deps.userCommand, writeLimiter: deps.writeLimiter, currentPassword: deps.currentPassword, onRateLimited: deps.onWriteRateLimited });
  registerAdminRoutes(app, { ...deps.auth, loginLimiter: deps.loginLimiter, loginSettings: deps.loginSettings });
  registerAccountAdminRoutes(app, { ...deps.auth, userCommand: deps.userCommand });
  registerLockoutRoutes(app, { ...deps.auth, lockout: deps.lockout });
  answerUnservedMethods(app);
}
