import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { createSpanProcessors, extractTraceContext, injectTraceContext, traceExporterName, withSpan } from './index';

describe('trace context helpers', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('round-trips a traceparent through a Kafka-style Buffer carrier', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const ctx = extractTraceContext({ traceparent: Buffer.from(traceparent) });
    await withSpan('child', { parent: ctx }, async (span) => {
      expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      const injected = injectTraceContext();
      expect(injected.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      expect(injected.traceparent).not.toBe(traceparent);
    });
  });

  it('marks a span failed when the work throws, and ends it', async () => {
    exporter.reset();
    await expect(withSpan('boom', {}, () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    await provider.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('boom');
    expect(span.status.code).toBe(2);
  });

  it('gives the root context for a missing or garbage carrier', () => {
    expect(trace.getSpanContext(extractTraceContext(undefined))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({ traceparent: 'garbage' }))).toBeUndefined();
  });
});

describe('exporter selection', () => {
  it('accepts the four contract values and rejects others with the variable name', () => {
    expect(traceExporterName({})).toBe('otlp');
    expect(traceExporterName({ OTEL_TRACES_EXPORTER: 'jaeger' })).toBe('jaeger');
    expect(() => traceExporterName({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(createSpanProcessors({ OTEL_TRACES_EXPORTER: 'none' })).toHaveLength(0);
    expect(createSpanProcessors({ OTEL_TRACES_EXPORTER: 'jaeger' })).toHaveLength(1);
  });
});
