import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

// Integration test against the real Jaeger started by tools/infra.sh: each exporter the services can
// be configured with must deliver a span that Jaeger's query API then returns.
const run = promisify(execFile);
const JAEGER = process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686';

async function spanArrives(traceId: string): Promise<{ service: string; name: string } | null> {
  for (let i = 0; i < 60; i++) {
    const res = await fetch(`${JAEGER}/api/v3/traces/${traceId}`);
    if (res.ok) {
      const body = (await res.json()) as { result?: { resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans?: { spans?: { name: string }[] }[] }[] } };
      const rs = body.result?.resourceSpans?.[0];
      const name = rs?.scopeSpans?.[0]?.spans?.[0]?.name;
      if (rs && name) return { service: rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '', name };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

describe('trace exporters against the real Jaeger', () => {
  jest.setTimeout(60_000);

  it.each(['otlp', 'jaeger'])('OTEL_TRACES_EXPORTER=%s delivers spans Jaeger can return', async (exporter) => {
    const service = `exporter-test-${exporter}-${randomUUID().slice(0, 6)}`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures/emit-span.ts')], {
      env: { ...process.env, OTEL_TRACES_EXPORTER: exporter, OTEL_SERVICE_NAME: service, PROBE_ID: service },
    });
    const traceId = stdout.trim();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await spanArrives(traceId)).toEqual({ service, name: 'exporterProbe' });
  });
});
