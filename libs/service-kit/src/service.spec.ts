import { createLogger } from '@usersys/logger';
import { createMetrics } from './metrics';
import { defineService, startService, type ServiceParts } from './service';

const log = createLogger('service-spec', { level: 'silent' });
const config = { port: 0, host: '127.0.0.1', logLevel: 'silent' };

/** A service whose every part records when it ran, and whether HTTP answered at that moment. */
function recordingService(order: string[], overrides: Partial<ServiceParts> = {}) {
  let url = '';
  const answers = async () => (url ? fetch(`${url}/healthz`).then(() => 'up', () => 'down') : 'down');
  const step = (name: string) => [name, async () => order.push(`${name} (http ${await answers()})`)] as [string, () => Promise<unknown>];
  return {
    setUrl: (u: string) => (url = u),
    definition: defineService({
      name: 'spec-service',
      loadConfig: () => config,
      build: async () => ({
        metrics: createMetrics('spec_service'),
        readiness: { dependency: async () => undefined },
        routes: (app) => app.get('/v1/hello', (_req, res) => void res.json({ hello: 'world' })),
        prepare: [step('prepare')],
        background: [step('background')],
        shutdown: [step('drain'), step('close clients')],
        closeHttp: 'first',
        ...overrides,
      }),
    }),
  };
}

describe('startService', () => {
  it('prepares before listening, starts background work after, and serves routes, /readyz and /metrics', async () => {
    const order: string[] = [];
    const { definition } = recordingService(order);
    const running = await startService(definition, config, log);
    try {
      expect(order).toEqual(['prepare (http down)', 'background (http down)']); // no url known to the steps yet
      expect(await (await fetch(`${running.url}/v1/hello`)).json()).toEqual({ hello: 'world' });
      const ready = await fetch(`${running.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { dependency: 'ok' } });
      expect((await fetch(`${running.url}/metrics`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  it("closes HTTP first for an intake service, last for one that serves only health and metrics", async () => {
    for (const closeHttp of ['first', 'last'] as const) {
      const order: string[] = [];
      const service = recordingService(order, { prepare: [], background: [], closeHttp });
      const running = await startService(service.definition, config, log);
      service.setUrl(running.url);
      expect(running.shutdownSteps().map(([name]) => name)).toEqual(closeHttp === 'first' ? ['http', 'drain', 'close clients'] : ['drain', 'close clients', 'http']);
      await running.stop();
      expect(order).toEqual(closeHttp === 'first' ? ['drain (http down)', 'close clients (http down)'] : ['drain (http up)', 'close clients (http up)']);
    }
  });

  it('a failed start runs the shutdown steps (nothing left open) and rethrows', async () => {
    const order: string[] = [];
    const { definition } = recordingService(order, {
      background: [['consumer', async () => Promise.reject(new Error('no brokers'))]],
    });
    const built: string[][] = [];
    await expect(startService(definition, config, log, { onBuilt: (steps) => built.push(steps().map(([n]) => n)) })).rejects.toThrow('no brokers');
    expect(built).toEqual([['http', 'drain', 'close clients']]);
    expect(order).toEqual(['prepare (http down)', 'drain (http down)', 'close clients (http down)']);
  });
});
