import { flattenSpans } from './jaeger';
import { renderTree, withoutNoise } from './tree';

const span = (spanId: string, parentSpanId: string | undefined, name: string, startMs: number, durMs: number, attrs: Record<string, string> = {}, code = 0) => ({
  traceId: 'a'.repeat(32),
  spanId,
  ...(parentSpanId ? { parentSpanId } : {}),
  name,
  kind: 2,
  startTimeUnixNano: String(BigInt(startMs) * 1_000_000n),
  endTimeUnixNano: String(BigInt(startMs + durMs) * 1_000_000n),
  attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
  status: { code },
});

const result = {
  resourceSpans: [
    { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth-gateway' } }] }, scopeSpans: [{ spans: [span('01', undefined, 'POST /v1/users', 0, 20), span('02', '01', 'middleware - jsonParser', 1, 1), span('03', '02', 'POST', 2, 15)] }] },
    { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'user-command' } }] }, scopeSpans: [{ spans: [span('04', '03', 'walAppend', 5, 3, { 'enduser.id': 'alice' }, 2)] }] },
  ],
};

describe('trace tree', () => {
  it('nests spans under their parents with service, duration, status and attributes', () => {
    const text = renderTree(flattenSpans(result));
    expect(text.split('\n')).toEqual([
      'auth-gateway POST /v1/users  20.00 ms  +0.0 ms  unset',
      '  auth-gateway middleware - jsonParser  1.00 ms  +1.0 ms  unset',
      '    auth-gateway POST  15.00 ms  +2.0 ms  unset',
      '      user-command walAppend  3.00 ms  +5.0 ms  ERROR  enduser.id=alice',
    ]);
  });

  it('hides middleware spans but keeps their children in place', () => {
    const text = renderTree(withoutNoise(flattenSpans(result)));
    expect(text).not.toContain('middleware');
    expect(text.split('\n')[1]).toBe('  auth-gateway POST  15.00 ms  +2.0 ms  unset');
  });
});
