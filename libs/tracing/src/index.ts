export { startTracing, shutdownTracing } from './sdk';
export { createSpanProcessors, traceExporterName, TRACE_EXPORTERS, DEFAULT_JAEGER_ENDPOINT, DEFAULT_OTLP_ENDPOINT } from './exporter';
export type { TraceExporterName } from './exporter';
export { tracer, withSpan, injectTraceContext, extractTraceContext, currentTraceId, traceparentOf, TRACER_NAME } from './context';
export type { TraceCarrier, SpanOptions } from './context';
export { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
export type { Span, Context, Attributes } from '@opentelemetry/api';
