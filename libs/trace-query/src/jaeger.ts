/** OTLP JSON as Jaeger's v3 API returns it (only the fields the triage CLI reads). */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpAttribute[];
  status?: { code?: number; message?: string };
  links?: { traceId: string; spanId: string }[];
}
interface OtlpTraces {
  resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** One span, flattened with its service name. */
export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: string;
  startNs: bigint;
  durationMs: number;
  status: 'ok' | 'error' | 'unset';
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function plain(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return JSON.stringify(v);
}

/** Jaeger's v3 JSON encodes ids as hex (the OTLP/JSON spec) — normalise to lower-case hex either way. */
function hexId(id: string): string {
  return /^[0-9a-fA-F]+$/.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

export function flattenSpans(result: OtlpTraces): TraceSpan[] {
  const out: TraceSpan[] = [];
  for (const rs of result.resourceSpans ?? []) {
    const service = String(plain(rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? { stringValue: '?' }));
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const start = BigInt(s.startTimeUnixNano);
        const end = BigInt(s.endTimeUnixNano);
        out.push({
          traceId: hexId(s.traceId),
          spanId: hexId(s.spanId),
          parentSpanId: s.parentSpanId ? hexId(s.parentSpanId) : null,
          service,
          name: s.name,
          kind: KINDS[s.kind ?? 0] ?? String(s.kind),
          startNs: start,
          durationMs: Number(end - start) / 1e6,
          status: s.status?.code === 2 ? 'error' : s.status?.code === 1 ? 'ok' : 'unset',
          ...(s.status?.message ? { statusMessage: s.status.message } : {}),
          attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, plain(a.value)])),
        });
      }
    }
  }
  return out;
}

export class JaegerClient {
  constructor(readonly baseUrl: string) {}

  private async get(path: string): Promise<unknown> {
    const res = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`Jaeger ${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return res.json();
  }

  /** Every span of one trace (v3 API), or [] when Jaeger does not know it (yet). */
  async trace(traceId: string): Promise<TraceSpan[]> {
    const body = (await this.get(`/api/v3/traces/${traceId}`)) as { result?: OtlpTraces } | null;
    return body?.result ? flattenSpans(body.result) : [];
  }

  async services(): Promise<string[]> {
    const body = (await this.get('/api/v3/services')) as { services?: string[] } | null;
    return body?.services ?? [];
  }

  /**
   * Trace ids whose spans carry `enduser.id = <username>`, newest first. Searches with the v3 API
   * (service + time window) and filters by the attribute here, because this Jaeger's v3 HTTP
   * gateway ignores attribute filters (jaeger v1.76 cmd/query/app/apiv3/http_gateway.go: "not
   * supported by grpc-gateway"); then asks the UI's /api/traces tag search, which filters on the
   * server and so also finds traces beyond the v3 search depth.
   */
  async traceIdsForUser(username: string, lookbackMs = 24 * 3600_000, depth = 200): Promise<string[]> {
    const found = new Map<string, bigint>();
    const min = new Date(Date.now() - lookbackMs).toISOString();
    const max = new Date(Date.now() + 60_000).toISOString();
    for (const service of await this.services()) {
      const q = new URLSearchParams({ 'query.service_name': service, 'query.start_time_min': min, 'query.start_time_max': max, 'query.num_traces': String(depth) });
      const body = (await this.get(`/api/v3/traces?${q}`)) as { result?: OtlpTraces } | null;
      for (const span of flattenSpans(body?.result ?? {})) {
        if (span.attributes['enduser.id'] === username && (found.get(span.traceId) ?? -1n) < span.startNs) found.set(span.traceId, span.startNs);
      }
      const legacy = new URLSearchParams({ service, tags: JSON.stringify({ 'enduser.id': username }), lookback: `${Math.ceil(lookbackMs / 3600_000)}h`, limit: '50' });
      const tagged = (await this.get(`/api/traces?${legacy}`).catch(() => null)) as { data?: { traceID: string; spans: { startTime: number }[] }[] } | null;
      for (const t of tagged?.data ?? []) {
        const start = BigInt(Math.min(...t.spans.map((s) => s.startTime))) * 1000n;
        if (!found.has(t.traceID)) found.set(t.traceID, start);
      }
    }
    return [...found.entries()].sort((a, b) => (a[1] < b[1] ? 1 : -1)).map(([id]) => id);
  }
}
