import { createLogger } from '@usersys/logger';
import { handleShutdown, runMain } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { loadConfig } from './config';
import { startUserCommand } from './server';

// Composition root: configuration, logger and process lifecycle; server.ts wires the rest.
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('user-command', { level: config.logLevel });
  for (const w of config.secretWarnings) log.warn({ variable: w.variable }, w.message);
  const running = await startUserCommand(config, log);
  handleShutdown(log, [...running.shutdownSteps, ['tracing', () => shutdownTracing()]]);
});
