import { runMain } from '@usersys/config';
import { createLogger } from '@usersys/logger';
import { closeServer, createMetrics, createRedisClient, createServiceApp, handleShutdown, listen } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import http from 'node:http';
import { registerRoutes, traceparentResponseHeader } from './adapters/http-routes';
import { UserCommandClient } from './adapters/user-command-client';
import { loadConfig } from './config';

// Composition root of the HTTP edge.
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('auth-gateway', { level: config.logLevel });
  const metrics = createMetrics('auth-gateway');
  const redis = createRedisClient(config.redisUrl, log);
  const userCommand = new UserCommandClient(config.userCommandUrl, config.internalToken);

  const app = createServiceApp({
    metrics,
    log,
    readiness: {
      redis: () => redis.ping(),
      'user-command': () =>
        new Promise((resolve, reject) => {
          http.get(new URL('/healthz', config.userCommandUrl), (res) => (res.resume(), res.statusCode === 200 ? resolve(true) : reject(new Error(`status ${res.statusCode}`)))).on('error', reject);
        }),
    },
    early: [traceparentResponseHeader],
    routes: (a) => registerRoutes(a, { userCommand }),
  });
  const server = await listen(app, config.port, config.host, log);
  log.info({ userCommand: config.userCommandUrl }, 'auth-gateway ready');

  handleShutdown(log, [
    ['http', () => closeServer(server)],
    ['upstream', async () => userCommand.close()],
    ['redis', async () => redis.disconnect()],
    ['tracing', () => shutdownTracing()],
  ]);
});
