import { diag, DiagConsoleLogger, DiagLogLevel, type Span } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { IncomingMessage } from 'node:http';
import { createSpanProcessors } from './exporter';
import { redisStatement } from './redis-statement';
import { TriageSampler, triagePolicy } from './triage';

const SDK_KEY = Symbol.for('usersys.tracing.sdk');
type GlobalWithSdk = typeof globalThis & { [SDK_KEY]?: NodeSDK };

/** Probe and scrape endpoints would bury real requests in Jaeger. */
const IGNORED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Names the HTTP server span after the express route that answered ("POST /v1/users/:username")
 * and sets `http.route`. Express mutates the request it is given, so the matched route is on it
 * once the response ends; this replaces the express instrumentation, whose one span per
 * middleware and router layer nobody read and which cost more than the rest of the tracing.
 */
function nameByRoute(span: Span, request: unknown): void {
  const req = request as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  if (typeof req.route?.path !== 'string') return;
  const route = `${req.baseUrl ?? ''}${req.route.path}`;
  span.setAttribute('http.route', route);
  span.updateName(`${req.method ?? 'GET'} ${route}`);
}

/**
 * Starts the OpenTelemetry Node SDK once per process. It must run before the app loads
 * ioredis or pg (the preload `register.ts` does that), or auto-instrumentation cannot patch them.
 *
 * kafkajs is instrumented by hand, not by @opentelemetry/instrumentation-kafkajs: that package
 * overwrites each message's `traceparent` with whatever context is active at send time, which
 * would cut the relay's batched records off from the request traces they belong to, and starts
 * one span per batch on the consumer side. Instead the relay opens a PRODUCER `relayPublish` span
 * per record under the context stored in the WAL record (injectTraceContext into the headers),
 * and the consumer opens a CONSUMER span per message under the context extracted from them.
 *
 * Which traces are kept is triage.ts: all of them, except fast successful logins and refreshes
 * beyond a sampled share.
 */
export function startTracing(env: Record<string, string | undefined> = process.env): NodeSDK {
  const holder = globalThis as GlobalWithSdk;
  if (holder[SDK_KEY]) return holder[SDK_KEY];
  if (env.OTEL_LOG_LEVEL === 'debug') diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.DEBUG);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || 'usersys',
    sampler: new TriageSampler(triagePolicy(env)),
    spanProcessors: createSpanProcessors(env),
    // Traces only. Each service serves its own Prometheus /metrics; left to the environment, the SDK
    // would also record every HTTP request into OTel histograms and push them (and a log pipeline)
    // to the OTLP endpoint, which Jaeger does not read.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => IGNORED_PATHS.has((req.url ?? '').split('?')[0]),
        // Outgoing calls outside any request (readiness probes of a dependency) are not traces anyone reads.
        requireParentforOutgoingSpans: true,
        applyCustomAttributesOnSpan: (span, request) => nameByRoute(span, request),
      }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: redisStatement }),
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
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
