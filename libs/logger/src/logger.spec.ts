import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Writable } from 'node:stream';
import { createLogger } from './index';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  beforeAll(() => context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  afterAll(() => context.disable());

  it('writes JSON with service and the active trace and span ids', async () => {
    const { lines, destination } = capture();
    const log = createLogger('user-command', { destination });
    const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
    context.with(trace.setSpanContext(context.active(), spanContext), () => log.info({ username: 'alice', step: 'walAppend' }, 'appended'));
    log.info('outside any span');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ service: 'user-command', trace_id: spanContext.traceId, span_id: spanContext.spanId, username: 'alice', level: 'info' });
    expect(lines[1].trace_id).toBeUndefined();
  });

  it('never writes passwords, hashes or tokens', async () => {
    const { lines, destination } = capture();
    const log = createLogger('auth-gateway', { destination });
    log.info({ password: 'hunter22!', body: { password: 'x', passwordHash: '$2b$' }, tokens: { accessToken: 'a', refreshToken: 'r' } }, 'login');
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/hunter22|\$2b\$|"a"|"r"/);
    expect(lines[0].password).toBe('[redacted]');
  });
});
