import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError } from '@usersys/config';
import { TriageSpanProcessor, triagePolicy } from './triage';

export const TRACE_EXPORTERS = ['otlp', 'jaeger', 'console', 'none'] as const;
export type TraceExporterName = (typeof TRACE_EXPORTERS)[number];

export const DEFAULT_JAEGER_ENDPOINT = 'http://127.0.0.1:14268/api/traces';
export const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';

type Env = Record<string, string | undefined>;

export function traceExporterName(env: Env): TraceExporterName {
  const name = (env.OTEL_TRACES_EXPORTER ?? 'otlp').trim().toLowerCase() || 'otlp';
  if (!(TRACE_EXPORTERS as readonly string[]).includes(name)) {
    throw new ConfigError('OTEL_TRACES_EXPORTER', `"${name}" is not one of ${TRACE_EXPORTERS.join(', ')}`);
  }
  return name as TraceExporterName;
}

/**
 * The SDK no longer maps OTEL_TRACES_EXPORTER=jaeger, so every exporter is constructed here
 * explicitly; `jaeger` is the package the design card names (thrift over HTTP to :14268).
 * Each exporter sits behind the triage processor (triage.ts), which drops the traces of fast,
 * successful, unsampled logins and refreshes and lets every other span through.
 */
export function createSpanProcessors(env: Env): SpanProcessor[] {
  const name = traceExporterName(env);
  if (name === 'none') return [];
  const policy = triagePolicy(env);
  if (name === 'console') return [new TriageSpanProcessor(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }), policy)];
  let exporter: SpanExporter;
  if (name === 'jaeger') {
    exporter = new JaegerExporter({ endpoint: env.OTEL_EXPORTER_JAEGER_ENDPOINT || DEFAULT_JAEGER_ENDPOINT }) as unknown as SpanExporter;
  } else {
    const base = (env.OTEL_EXPORTER_OTLP_ENDPOINT || DEFAULT_OTLP_ENDPOINT).replace(/\/$/, '');
    exporter = new OTLPTraceExporter({ url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || `${base}/v1/traces` });
  }
  // A request shows in Jaeger within about a second; under load a batch fills first, and larger
  // batches mean fewer export requests (each one costs a serialisation pass and an HTTP round trip).
  return [new TriageSpanProcessor(new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000, maxQueueSize: 16_384, maxExportBatchSize: 2048 }), policy)];
}
