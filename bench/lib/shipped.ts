/**
 * The configurations the benchmarks run the services in, named once so every figure says which one
 * it used (RESULTS.md's config column).
 *
 * Shipped = what `npm start` runs: the service command with the tracing preload, the default trace
 * exporter (OTLP to the local Jaeger) and sampling, LOG_LEVEL=info. The variables are set
 * explicitly so a developer's shell (LOG_LEVEL=warn, OTEL_TRACES_EXPORTER=none) cannot turn a
 * "shipped" figure into something else. Tracing off = the same service without the tracing preload
 * (no instrumentation loaded at all), everything else equal, for the on/off ratio.
 */
import { serviceCommand } from '@usersys/service-runner';

export interface ServiceConfig {
  name: 'shipped' | 'tracing off';
  /** the text of RESULTS.md's config column */
  label: string;
  env: Record<string, string>;
  /** start the service with the tracing preload (libs/tracing/src/register.ts) */
  tracingPreload: boolean;
}

export const SHIPPED: ServiceConfig = {
  name: 'shipped',
  label: 'shipped: tracing on (preload, OTLP → Jaeger, default sampling), LOG_LEVEL=info',
  env: { OTEL_TRACES_EXPORTER: 'otlp', LOG_LEVEL: 'info' },
  tracingPreload: true,
};

export const TRACING_OFF: ServiceConfig = {
  name: 'tracing off',
  label: 'tracing off (no tracing preload), LOG_LEVEL=info',
  env: { OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'info' },
  tracingPreload: false,
};

/** node arguments for one service in a configuration: the shipped command (service-runner's), without the tracing preload when off. */
export function serviceArgs(app: string, config: ServiceConfig): string[] {
  const args = serviceCommand(app);
  if (config.tracingPreload) return args;
  const preload = args.findIndex((a) => a.includes('libs/tracing/src/register'));
  if (preload < 1 || args[preload - 1] !== '--import') throw new Error(`bench: cannot find the tracing preload in ${args.join(' ')}`);
  return [...args.slice(0, preload - 1), ...args.slice(preload + 1)];
}
