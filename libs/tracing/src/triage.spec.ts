import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { DEFAULT_SAMPLED_ROUTES, TriageSampler, TriageSpanProcessor, triagePolicy, type TriagePolicy } from './triage';

const LOGIN: Attributes = { 'http.request.method': 'POST', 'url.path': '/v1/auth/login' };
const CREATE: Attributes = { 'http.request.method': 'POST', 'url.path': '/v1/users' };

function setup(overrides: Partial<TriagePolicy> = {}) {
  const policy: TriagePolicy = { ...triagePolicy({}), successRatio: 0, slowMs: 250, ...overrides };
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new TriageSampler(policy), spanProcessors: [new TriageSpanProcessor(new SimpleSpanProcessor({ exporter }), policy)] });
  const tracer = provider.getTracer('triage-spec');
  /** A request: its server span, one child step (optionally failing), then the response status. */
  const request = (attributes: Attributes, opts: { status?: number; childFails?: boolean; durationMs?: number; parent?: Context } = {}) => {
    const start = Date.now() - (opts.durationMs ?? 1);
    const root = tracer.startSpan('POST', { kind: SpanKind.SERVER, attributes, startTime: start }, opts.parent ?? ROOT_CONTEXT);
    const step = tracer.startSpan('credentialCache', {}, trace.setSpan(ROOT_CONTEXT, root));
    if (opts.childFails) step.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    step.end();
    root.setAttribute('http.response.status_code', opts.status ?? 200);
    return { root, step, end: () => root.end() };
  };
  const exported = () => exporter.getFinishedSpans().map((s) => s.name);
  return { tracer, request, exported, exporter };
}

const sampled = (span: Span) => (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;

describe('triage sampling', () => {
  it('drops a fast successful login the ratio did not pick, but records it in-process and hands on "not sampled"', () => {
    const { request, exported } = setup();
    const login = request(LOGIN);
    expect(login.root.isRecording()).toBe(true);
    expect(sampled(login.root)).toBe(false);
    login.end();
    expect(exported()).toEqual([]);
  });

  it.each([
    ['a 401', { status: 401 }],
    ['a 503', { status: 503 }],
    ['an error in a step', { childFails: true }],
    ['a slow request', { durationMs: 400 }],
  ])('keeps the whole trace of %s on a sampled route', (_name, opts) => {
    const { request, exported, exporter } = setup();
    const login = request(LOGIN, opts);
    login.end();
    expect(exported().sort()).toEqual(['POST', 'credentialCache']);
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([login.root.spanContext().traceId]));
    expect(spans.every((s) => (s.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0)).toBe(true);
    expect(spans.find((s) => s.name === 'credentialCache')!.parentSpanContext?.spanId).toBe(login.root.spanContext().spanId);
  });

  it('keeps every successful login at ratio 1 (what trace-shape tests run with), sampled from the start', () => {
    const { request, exported } = setup({ successRatio: 1 });
    const login = request(LOGIN);
    expect(sampled(login.root)).toBe(true);
    login.end();
    expect(exported().sort()).toEqual(['POST', 'credentialCache']);
  });

  it('keeps every write request, fast and successful too', () => {
    const { request, exported } = setup();
    const create = request(CREATE, { status: 202 });
    expect(sampled(create.root)).toBe(true);
    create.end();
    expect(exported().sort()).toEqual(['POST', 'credentialCache']);
  });

  it('records no Redis command spans under an undecided request, and does under a sampled one', () => {
    const { request, tracer } = setup();
    const redisCall = (parent: Span) => tracer.startSpan('evalsha', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis' } }, trace.setSpan(ROOT_CONTEXT, parent));
    expect(redisCall(request(LOGIN).root).isRecording()).toBe(false);
    expect(redisCall(request(CREATE).root).isRecording()).toBe(true);
  });

  it('records nothing downstream of a dropped login (relay or consumer under its "not sampled" context)', () => {
    const { request, tracer } = setup();
    const login = request(LOGIN);
    login.end();
    const relay = tracer.startSpan('relayPublish', { kind: SpanKind.PRODUCER }, trace.setSpanContext(ROOT_CONTEXT, { ...login.root.spanContext(), isRemote: true }));
    expect(relay.isRecording()).toBe(false);
  });

  it('applies its own policy at an HTTP server even when the caller said "not sampled"', () => {
    const { request } = setup();
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE, isRemote: true });
    const create = request(CREATE, { parent: remote, status: 202 });
    expect(sampled(create.root)).toBe(true);
    expect(create.root.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('sends a span that ends after its kept request, and not one after a dropped request', () => {
    const { tracer, exported } = setup();
    const start = (status: number) => {
      const root = tracer.startSpan('POST', { kind: SpanKind.SERVER, attributes: LOGIN }, ROOT_CONTEXT);
      const late = tracer.startSpan(`late after ${status}`, {}, trace.setSpan(ROOT_CONTEXT, root));
      root.setAttribute('http.response.status_code', status);
      root.end();
      late.end();
    };
    start(401);
    start(200);
    expect(exported()).toEqual(['POST', 'late after 401']);
  });

  it('reads its settings from the environment and refuses nonsense', () => {
    expect(triagePolicy({})).toEqual({ sampledRoutes: new Set(DEFAULT_SAMPLED_ROUTES), successRatio: 0.01, slowMs: 250 });
    expect(triagePolicy({ TRACE_SAMPLED_ROUTES: ' post  /v1/auth/login ', TRACE_SUCCESS_SAMPLE_RATIO: '1', TRACE_SLOW_MS: '100' })).toEqual({ sampledRoutes: new Set(['POST /v1/auth/login']), successRatio: 1, slowMs: 100 });
    expect(triagePolicy({ TRACE_SAMPLED_ROUTES: '' }).sampledRoutes.size).toBe(0);
    expect(() => triagePolicy({ TRACE_SUCCESS_SAMPLE_RATIO: '2' })).toThrow(/TRACE_SUCCESS_SAMPLE_RATIO/);
    expect(() => triagePolicy({ TRACE_SLOW_MS: 'fast' })).toThrow(/TRACE_SLOW_MS/);
    expect(() => triagePolicy({ TRACE_SAMPLED_ROUTES: 'login' })).toThrow(/TRACE_SAMPLED_ROUTES/);
  });
});
