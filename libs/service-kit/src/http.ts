import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { errorHandler } from './errors';
import { httpMetricsMiddleware, type ServiceMetrics } from './metrics';

export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/**
 * An express app with the endpoints every service serves (CONTRACT.md): `/healthz` (process up;
 * 503 only when a `liveness` check fails, i.e. the process should be restarted), `/readyz`
 * (dependencies reachable, each check named) and `/metrics` (Prometheus text).
 */
export function createServiceApp(options: { metrics: ServiceMetrics; readiness: ReadinessChecks; liveness?: ReadinessChecks; log: Logger; routes?: (app: Express) => void; bodyLimit?: string; early?: RequestHandler[] }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(httpMetricsMiddleware(options.metrics));
  // Runs before body parsing, so even a 400 for malformed JSON gets what these add (e.g. traceparent).
  for (const handler of options.early ?? []) app.use(handler);
  app.get('/healthz', async (_req, res) => {
    if (!options.liveness) {
      res.json({ status: 'ok' });
      return;
    }
    const checks = await runChecks(options.liveness);
    const live = Object.values(checks).every((r) => r === 'ok');
    res.status(live ? 200 : 503).json({ status: live ? 'ok' : 'restart needed', checks });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await runChecks(options.readiness);
    const ready = Object.values(checks).every((r) => r === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', options.metrics.registry.contentType);
    res.send(await options.metrics.registry.metrics());
  });
  app.use(express.json({ limit: options.bodyLimit ?? '16kb', strict: true }));
  options.routes?.(app);
  app.use((_req, res) => {
    res.status(404).json({ code: 100004, message: 'not found' });
  });
  app.use(errorHandler(options.log));
  return app;
}

export function listen(app: Express | Router, port: number, host: string, log: Logger): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = (app as Express).listen(port, host, () => {
      log.info({ port, host }, 'listening');
      resolve(server);
    });
    server.keepAliveTimeout = 65_000;
    server.once('error', reject);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function runChecks(checks: ReadinessChecks): Promise<Record<string, string>> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 1000);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, (err as Error).message || 'failed'] as const;
      }
    }),
  );
  return Object.fromEntries(results);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
