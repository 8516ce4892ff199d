import { createLogger } from '@usersys/logger';
import { handleShutdown, runMain } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { loadConfig } from './config';
import { createGateway } from './service';

// Composition root of the HTTP edge (the wiring itself is in gateway.ts, shared with the tests).
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('auth-gateway', { level: config.logLevel });
  for (const w of config.secretWarnings) log.warn({ variable: w.variable }, w.message);
  const gateway = await createGateway(config, log);
  await gateway.start();
  log.info({ userCommand: config.userCommandUrls, trustProxy: config.trustProxy }, 'auth-gateway ready');
  handleShutdown(log, [...gateway.shutdownSteps(), ['tracing', () => shutdownTracing()]]);
});
