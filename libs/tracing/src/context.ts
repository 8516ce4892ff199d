import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanKind } from '@opentelemetry/api';

export const TRACER_NAME = 'usersys';

export function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** W3C trace context as carried in HTTP headers, WAL records and Kafka headers. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export function injectTraceContext(ctx: Context = context.active()): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) } : {};
}

type HeaderValue = string | Buffer | (string | Buffer)[] | undefined;

/** Extracts from plain strings or Kafka's Buffer-valued headers; a missing carrier gives the root context. */
export function extractTraceContext(carrier: Record<string, HeaderValue> | TraceCarrier | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(carrier as Record<string, HeaderValue>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) flat[key.toLowerCase()] = first.toString();
  }
  return propagation.extract(ROOT_CONTEXT, flat);
}

export function currentTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}

export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
  /** Parent context; defaults to the active one. */
  parent?: Context;
  links?: Link[];
}

/**
 * Runs `fn` inside a new active span, marking it failed (with the exception recorded) when `fn`
 * throws, and always ending it.
 */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T> | T): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { attributes: options.attributes, kind: options.kind, links: options.links }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
