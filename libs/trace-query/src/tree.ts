import type { TraceSpan } from './jaeger';

/** Attributes worth a glance during triage, in this order. */
const SHOWN = ['enduser.id', 'event.id', 'event.type', 'http.response.status_code', 'http.status_code', 'messaging.destination.name', 'messaging.kafka.destination.partition', 'messaging.kafka.message.offset', 'degrade', 'outcome', 'retry.attempt', 'error.type'];

/**
 * The trace as an indented tree: one line per span with service, name, duration and status, children
 * under their parent in start order. Spans whose parent is missing (not exported yet, or another
 * trace) are shown as roots.
 */
export function renderTree(spans: TraceSpan[]): string {
  if (spans.length === 0) return '(no spans)';
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string | null, TraceSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && byId.has(s.parentSpanId) ? s.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const t0 = spans.reduce((m, s) => (s.startNs < m ? s.startNs : m), spans[0].startNs);
  const lines: string[] = [];
  const walk = (s: TraceSpan, depth: number) => {
    const offset = Number(s.startNs - t0) / 1e6;
    const attrs = SHOWN.filter((k) => s.attributes[k] !== undefined).map((k) => `${k}=${s.attributes[k]}`);
    const status = s.status === 'error' ? `ERROR${s.statusMessage ? ` (${s.statusMessage})` : ''}` : s.status;
    lines.push(`${'  '.repeat(depth)}${s.service} ${s.name}  ${s.durationMs.toFixed(2)} ms  +${offset.toFixed(1)} ms  ${status}${attrs.length ? `  ${attrs.join(' ')}` : ''}`);
    for (const c of children.get(s.spanId) ?? []) walk(c, depth + 1);
  };
  for (const root of children.get(null) ?? []) walk(root, 0);
  return lines.join('\n');
}

/**
 * Drops spans that are rarely the story (express middleware, pool checkouts), re-attaching their
 * children to the nearest kept ancestor so the tree keeps its shape.
 */
export function withoutNoise(spans: TraceSpan[]): TraceSpan[] {
  const noisy = (s: TraceSpan) => s.name.startsWith('middleware - ') || s.name === 'pg-pool.connect' || s.name === 'request handler - /';
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const keptParent = (id: string | null): string | null => {
    let cur = id;
    while (cur) {
      const s = byId.get(cur);
      if (!s) return cur;
      if (!noisy(s)) return cur;
      cur = s.parentSpanId;
    }
    return null;
  };
  return spans.filter((s) => !noisy(s)).map((s) => ({ ...s, parentSpanId: keptParent(s.parentSpanId) }));
}

/** The chain of parents of a span within its trace, nearest first (stops at a missing parent). */
export function ancestorsOf(span: TraceSpan, spans: TraceSpan[]): TraceSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out: TraceSpan[] = [];
  let cur = span.parentSpanId ? byId.get(span.parentSpanId) : undefined;
  while (cur && out.length < 1000) {
    out.push(cur);
    cur = cur.parentSpanId ? byId.get(cur.parentSpanId) : undefined;
  }
  return out;
}
