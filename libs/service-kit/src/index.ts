export { AppError, COMMON_ERRORS, errorHandler, catalogProblems } from './errors';
export type { ErrorSpec } from './errors';
export { createMetrics, httpMetricsMiddleware } from './metrics';
export type { ServiceMetrics } from './metrics';
export { createServiceApp, listen, closeServer, answerClientErrorsWithJson } from './http';
export type { ReadinessChecks } from './http';
export { createRedisClient, redisReady } from './redis';
export { handleShutdown } from './shutdown';
