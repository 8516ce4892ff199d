import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { createSpanProcessors } from './exporter';

const SDK_KEY = Symbol.for('usersys.tracing.sdk');
type GlobalWithSdk = typeof globalThis & { [SDK_KEY]?: NodeSDK };

/** Probe and scrape endpoints would bury real requests in Jaeger. */
const IGNORED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts the OpenTelemetry Node SDK once per process. It must run before the app loads express,
 * ioredis or pg (the preload `register.ts` does that), or auto-instrumentation cannot patch them.
 *
 * kafkajs is instrumented by hand, not by @opentelemetry/instrumentation-kafkajs: that package
 * overwrites each message's `traceparent` with whatever context is active at send time, which
 * would cut the relay's batched records off from the request traces they belong to, and starts
 * one span per batch on the consumer side. Instead the relay opens a PRODUCER `relayPublish` span
 * per record under the context stored in the WAL record (injectTraceContext into the headers),
 * and the consumer opens a CONSUMER span per message under the context extracted from them.
 */
export function startTracing(env: Record<string, string | undefined> = process.env): NodeSDK {
  const holder = globalThis as GlobalWithSdk;
  if (holder[SDK_KEY]) return holder[SDK_KEY];
  if (env.OTEL_LOG_LEVEL === 'debug') diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.DEBUG);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || 'usersys',
    spanProcessors: createSpanProcessors(env),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => IGNORED_PATHS.has((req.url ?? '').split('?')[0]),
      }),
      new ExpressInstrumentation(),
      new IORedisInstrumentation({ requireParentSpan: true }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  holder[SDK_KEY] = sdk;
  return sdk;
}

/** Flushes buffered spans; call it last during graceful shutdown. */
export async function shutdownTracing(): Promise<void> {
  const holder = globalThis as GlobalWithSdk;
  const sdk = holder[SDK_KEY];
  if (!sdk) return;
  delete holder[SDK_KEY];
  await sdk.shutdown().catch(() => undefined);
}
