import { createLogger } from '@usersys/logger';
import type { Express, RequestHandler } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { closeServer, createServiceApp, listen, type ReadinessChecks } from './http';
import { handleShutdown, runMain } from './lifecycle';
import type { ServiceMetrics } from './metrics';

// The one shape of every service (docs/architecture.md, "One service shape"): a definition names
// the service, loads its configuration and builds its parts; startService runs those parts in the
// same order for all four (prepare → listen → background → ready), and their shutdown steps are
// what SIGTERM runs. A composition root returns these parts and nothing else: tests observe a
// service through its HTTP surface and its dependencies, never through its internals.

/** A named step of a start or a shutdown. */
export type Step = [name: string, run: () => Promise<unknown>];

/** What a service's build returns: its HTTP surface and its lifecycle. */
export interface ServiceParts {
  metrics: ServiceMetrics;
  /** `/readyz`: the dependencies without which the service cannot do its work, each named. */
  readiness: ReadinessChecks;
  /** `/healthz`: checks whose failure means "restart this process" (e.g. a frozen Kafka client). */
  liveness?: ReadinessChecks;
  /** The service's own routes, besides /healthz, /readyz and /metrics. */
  routes?: (app: Express) => void;
  /** Handlers before body parsing (so even a 400 for malformed JSON passes through them). */
  early?: RequestHandler[];
  bodyLimit?: string;
  /** Before listening, in order: what the first request needs (warm-ups, the admin account). */
  prepare?: Step[];
  /** After listening, in order: the loops and consumers that run until shutdown. */
  background?: Step[];
  /** Graceful shutdown, in order: drain, commit, close the clients. */
  shutdown: Step[];
  /**
   * When the HTTP server closes. `first`: HTTP is the service's intake (gateway, user-command), so
   * it stops before anything drains. `last`: HTTP serves only health, metrics and operator routes
   * (relay, consumer), which stay up while the work drains.
   */
  closeHttp: 'first' | 'last';
  /** Logged with "<name> ready". */
  summary?: Record<string, unknown>;
}

/** What every service's configuration has. */
export interface ServiceConfig {
  port: number;
  host: string;
  logLevel: string;
  /** Weak or default secrets, logged as warnings at start (never the secrets themselves). */
  secretWarnings?: ReadonlyArray<{ variable: string; message: string }>;
}

export interface ServiceContext<C> {
  config: C;
  log: Logger;
}

export interface ServiceDefinition<C extends ServiceConfig> {
  name: string;
  loadConfig(): C;
  build(ctx: ServiceContext<C>): Promise<ServiceParts>;
}

/** A started service: where it listens and how it stops. */
export interface RunningService {
  port: number;
  url: string;
  /** The ordered shutdown steps (handleShutdown runs them on SIGTERM); stop() runs them all. */
  shutdownSteps(): Step[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Overrides the configured port (0: a free one, in tests). */
  port?: number;
  host?: string;
  /** Called once the parts exist, before anything starts: a signal from then on shuts them down. */
  onBuilt?: (shutdownSteps: () => Step[]) => void;
}

export function defineService<C extends ServiceConfig>(definition: ServiceDefinition<C>): ServiceDefinition<C> {
  return definition;
}

/** Builds the service and starts its parts: prepare, listen, background. A failed start closes what was built. */
export async function startService<C extends ServiceConfig>(definition: ServiceDefinition<C>, config: C, log: Logger, options: StartOptions = {}): Promise<RunningService> {
  const parts = await definition.build({ config, log });
  const app = createServiceApp({ metrics: parts.metrics, log, readiness: parts.readiness, liveness: parts.liveness, routes: parts.routes, early: parts.early, bodyLimit: parts.bodyLimit });
  let server: Server | null = null;
  const http: Step = ['http', async () => (server ? closeServer(server) : undefined)];
  const shutdownSteps = (): Step[] => (parts.closeHttp === 'first' ? [http, ...parts.shutdown] : [...parts.shutdown, http]);
  const stop = async () => {
    for (const [name, step] of shutdownSteps()) await step().catch((err: Error) => log.warn({ step: name, err: err.message }, 'shutdown step failed'));
  };
  options.onBuilt?.(shutdownSteps);
  const host = options.host ?? config.host;
  try {
    for (const [, step] of parts.prepare ?? []) await step();
    server = await listen(app, options.port ?? config.port, host, log);
    for (const [, step] of parts.background ?? []) await step();
  } catch (err) {
    await stop();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  log.info(parts.summary ?? {}, `${definition.name} ready`);
  return { port, url: `http://${host}:${port}`, shutdownSteps, stop };
}

/**
 * The whole of a service's main.ts: load the configuration (a bad value is one line and exit 1),
 * create the logger, start, and shut down gracefully on SIGTERM/SIGINT, then run `finally` (e.g.
 * the tracing flush, which main.ts owns because tracing is preloaded there).
 */
export function runService<C extends ServiceConfig>(definition: ServiceDefinition<C>, options: { finally?: Step[] } = {}): void {
  runMain(async () => {
    const config = definition.loadConfig();
    const log = createLogger(definition.name, { level: config.logLevel });
    for (const w of config.secretWarnings ?? []) log.warn({ variable: w.variable }, w.message);
    let steps: () => Step[] = () => [];
    handleShutdown(log, () => [...steps(), ...(options.finally ?? [])]);
    await startService(definition, config, log, { onBuilt: (shutdownSteps) => (steps = shutdownSteps) });
  });
}
