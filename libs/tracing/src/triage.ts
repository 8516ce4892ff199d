import { isSpanContextValid, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type SpanContext } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler, type ReadableSpan, type Sampler, type SamplingResult, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError } from '@usersys/config';

type Env = Record<string, string | undefined>;

/**
 * Which traces leave the process. Every trace is kept except a successful, fast request on one of
 * `sampledRoutes` (logins and refreshes: the hot, repetitive paths), which is kept at
 * `successRatio`. Failures (status >= 400, an exception, a span marked as an error) and requests
 * slower than `slowMs` are always kept, so a client reporting the traceparent of one finds it.
 */
export interface TriagePolicy {
  /** "METHOD /path" of the requests sampled when they succeed fast. */
  sampledRoutes: ReadonlySet<string>;
  /** Share of successful, fast requests on those routes whose trace is kept (0..1, by trace id). */
  successRatio: number;
  /** A request at least this slow (ms, its server span) is kept. */
  slowMs: number;
}

export const DEFAULT_SAMPLED_ROUTES = ['POST /v1/auth/login', 'POST /v1/auth/refresh'];
export const DEFAULT_SUCCESS_RATIO = 0.01;
export const DEFAULT_SLOW_MS = 250;

/** TRACE_SAMPLED_ROUTES (comma-separated "METHOD /path"; empty: keep everything), TRACE_SUCCESS_SAMPLE_RATIO, TRACE_SLOW_MS. */
export function triagePolicy(env: Env): TriagePolicy {
  const routes = env.TRACE_SAMPLED_ROUTES ?? DEFAULT_SAMPLED_ROUTES.join(',');
  const sampledRoutes = new Set(
    routes
      .split(',')
      .map((r) => r.trim().replace(/\s+/, ' '))
      .filter(Boolean)
      .map((r) => {
        const [method, path] = r.split(' ');
        if (!method || !path?.startsWith('/')) throw new ConfigError('TRACE_SAMPLED_ROUTES', `"${r}" is not "METHOD /path"`);
        return `${method.toUpperCase()} ${path}`;
      }),
  );
  return {
    sampledRoutes,
    successRatio: number(env, 'TRACE_SUCCESS_SAMPLE_RATIO', DEFAULT_SUCCESS_RATIO, 0, 1),
    slowMs: number(env, 'TRACE_SLOW_MS', DEFAULT_SLOW_MS, 0, Number.MAX_SAFE_INTEGER),
  };
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new ConfigError(name, `"${raw}" is not a number from ${min} to ${max}`);
  return value;
}

const isSampled = (sc: SpanContext) => (sc.traceFlags & TraceFlags.SAMPLED) !== 0;
const isRedisCommand = (attributes: Attributes) => attributes['db.system.name'] === 'redis' || attributes['db.system'] === 'redis';

/**
 * The head half of the policy. A request on a sampled route that the ratio does not pick is
 * RECORDED but not sampled: its spans (but its Redis commands') exist in this process (so the tail half can still keep it),
 * while the traceparent it hands on (response header, WAL record, Kafka headers) says "not
 * sampled", so the relay and consumer record nothing for it. Everything else is sampled as before.
 */
export class TriageSampler implements Sampler {
  private readonly ratio: TraceIdRatioBasedSampler;

  constructor(private readonly policy: TriagePolicy) {
    this.ratio = new TraceIdRatioBasedSampler(policy.successRatio);
  }

  shouldSample(ctx: Context, traceId: string, _name: string, kind: SpanKind, attributes: Attributes): SamplingResult {
    const parent = trace.getSpan(ctx);
    const parentContext = parent?.spanContext();
    if (parent && parentContext && isSpanContextValid(parentContext)) {
      if (isSampled(parentContext)) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      // A local child of a recorded, undecided request is recorded with it, except single Redis
      // commands: several per login, they cost as much as the rest of its spans together, and the
      // step spans around them (rateLimit, credentialCache...) already time them.
      if (!parentContext.isRemote) return { decision: parent.isRecording() && !isRedisCommand(attributes) ? SamplingDecision.RECORD : SamplingDecision.NOT_RECORD };
      // "Not sampled" from a WAL record or Kafka message: a request this policy let go.
      // At an HTTP server the caller's flag does not decide: this process applies its own policy.
      if (kind !== SpanKind.SERVER) return { decision: SamplingDecision.NOT_RECORD };
    }
    if (kind === SpanKind.SERVER && this.policy.sampledRoutes.has(`${attributes['http.request.method']} ${attributes['url.path']}`)) {
      return { decision: this.ratio.shouldSample(ctx, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.RECORD };
    }
    return { decision: SamplingDecision.RECORD_AND_SAMPLED };
  }

  toString(): string {
    return `TriageSampler{routes=${[...this.policy.sampledRoutes].join(',')}, ratio=${this.policy.successRatio}, slowMs=${this.policy.slowMs}}`;
  }
}

/** Undecided traces held at once; past it the oldest is let go (a request that never ends must not grow memory). */
const MAX_PENDING_TRACES = 10_000;
/** Spans held per undecided trace. */
const MAX_SPANS_PER_TRACE = 256;
/** Traces kept recently, so a span ending after its request (late async work) still goes out. */
const MAX_RECENTLY_KEPT = 1_000;

const hrMs = ([s, ns]: [number, number]) => s * 1e3 + ns / 1e6;
const isLocalRoot = (span: ReadableSpan) => !span.parentSpanContext || span.parentSpanContext.isRemote;

/**
 * The tail half: holds the spans of a recorded-but-unsampled request in memory until its local
 * root (the HTTP server span) ends, then passes them all to `next` (the batch exporter) if the
 * request failed or was slow, and drops them otherwise. Sampled spans pass straight through.
 */
export class TriageSpanProcessor implements SpanProcessor {
  private readonly pending = new Map<string, ReadableSpan[]>();
  private readonly recentlyKept = new Set<string>();

  constructor(
    private readonly next: SpanProcessor,
    private readonly policy: TriagePolicy,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    const sc = span.spanContext();
    if (!isSampled(sc) && isLocalRoot(span) && !this.pending.has(sc.traceId)) {
      if (this.pending.size >= MAX_PENDING_TRACES) this.pending.delete(this.pending.keys().next().value!);
      this.pending.set(sc.traceId, []);
    }
    this.next.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const sc = span.spanContext();
    if (isSampled(sc)) return this.next.onEnd(span);
    const held = this.pending.get(sc.traceId);
    if (!held) {
      if (this.recentlyKept.has(sc.traceId)) this.next.onEnd(asSampled(span));
      return;
    }
    if (held.length < MAX_SPANS_PER_TRACE) held.push(span);
    if (!isLocalRoot(span)) return;
    this.pending.delete(sc.traceId);
    if (!this.worthKeeping(span, held)) return;
    if (this.recentlyKept.size >= MAX_RECENTLY_KEPT) this.recentlyKept.delete(this.recentlyKept.values().next().value!);
    this.recentlyKept.add(sc.traceId);
    for (const s of held) this.next.onEnd(asSampled(s));
  }

  /** Failed (an error status anywhere, or an HTTP status >= 400) or slow. */
  private worthKeeping(root: ReadableSpan, spans: ReadableSpan[]): boolean {
    if (hrMs(root.duration) >= this.policy.slowMs) return true;
    const status = Number(root.attributes['http.response.status_code'] ?? 0);
    return status >= 400 || spans.some((s) => s.status.code === SpanStatusCode.ERROR);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    this.pending.clear();
    return this.next.shutdown();
  }
}

/** The same span, flagged sampled (the batch processor only exports sampled spans). */
function asSampled(span: ReadableSpan): ReadableSpan {
  const sc = { ...span.spanContext(), traceFlags: span.spanContext().traceFlags | TraceFlags.SAMPLED };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => sc,
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
