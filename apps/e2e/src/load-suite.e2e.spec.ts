import { loadConfig, runLoad, type LoadConfig } from '@usersys/load-suite';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type System } from './harness';

// The load suite (`npm run load`) against the real system for a few seconds per scenario: it checks
// that the tool works and that its numbers are sane, not how fast anything is.
const CONFIG = path.resolve(__dirname, '../../../tools/load/load.config.json');
const ADMIN = { ADMIN_USERNAME: 'e2e_load_admin', ADMIN_PASSWORD: 'e2e-load-admin-pw', ADMIN_EMAIL: 'e2e_load_admin@usersys.local', ADMIN_PHONE: '+19990000004' };

describe('load suite smoke run (npm run load)', () => {
  let system: System;
  let config: LoadConfig;
  const outRoot = mkdtempSync(path.join(os.tmpdir(), 'usersys-load-'));

  beforeAll(async () => {
    system = await startSystem({ ...ADMIN, WRITE_RATE_LIMIT: '1000000', ACCESS_TOKEN_TTL: '40s' });
    const base = loadConfig(CONFIG);
    // Short stages, small concurrency: a smoke run on a shared CI machine.
    config = {
      ...base,
      target: system.gateway,
      seedUsers: 4,
      stages: {
        baseline_concurrent: { concurrency: 4, durationSec: 2, thinkMs: 5 },
        stress_ramp: { concurrency: 1, rampTo: 8, durationSec: 2, thinkMs: 0 },
        stress_spike: { concurrency: 2, spike: { concurrency: 12, atSec: 0.5, forSec: 1 }, durationSec: 2, thinkMs: 0 },
        db_connection_pool: { concurrency: 8, requests: 40, thinkMs: 0 },
      },
      soak: { durationSec: 3, fractionOfCapacity: 0.5, capacityProbeSec: 2, probeConcurrency: 4 },
      services: Object.fromEntries(['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'].map((s) => [s, `http://127.0.0.1:${system.services.portOf(s)}`])),
    };
  });
  afterAll(async () => {
    await system?.stop();
  });

  const run = (scenario: Parameters<typeof runLoad>[0]['scenario'], extra: Partial<Parameters<typeof runLoad>[0]> = {}) =>
    runLoad({ scenario, config, outDir: path.join(outRoot, scenario), quiet: true, admin: { username: ADMIN.ADMIN_USERNAME, password: ADMIN.ADMIN_PASSWORD }, ...extra });

  it.each(['login', 'login_uncached', 'update'] as const)('%s: every stage runs, answers as expected, writes JSON and a chart', async (scenario) => {
    const result = await run(scenario);
    expect(result.stages.map((s) => s.stage)).toEqual(['baseline_concurrent', 'stress_ramp', 'stress_spike', 'db_connection_pool']);
    for (const s of result.stages) {
      expect(s.count).toBeGreaterThan(0);
      expect(s.errorRate).toBe(0);
      expect(s.qps).toBeGreaterThan(0);
      expect(s.p50).toBeLessThanOrEqual(s.p99);
      expect(s.p99).toBeLessThanOrEqual(s.max);
      expect(existsSync(path.join(result.outDir, `${s.stage}.svg`))).toBe(true);
    }
    expect(result.stages.find((s) => s.stage === 'db_connection_pool')!.count).toBe(40);
    expect(JSON.parse(readFileSync(path.join(result.outDir, 'result.json'), 'utf8')).stages).toHaveLength(4);
  });

  it('create: follows every 202 until the user is active (wait-for-user)', async () => {
    const result = await run('create', { stages: ['baseline_concurrent', 'db_connection_pool'] });
    for (const s of result.stages) {
      expect(s.errorRate).toBe(0);
      expect(s.waitForUser).toBeDefined();
      expect(s.waitForUser!.timedOut).toBe(0);
      // every 202 followed to active; the rest were refused by the hash pool's backpressure (503)
      expect(s.waitForUser!.count).toBe(s.count - s.refused);
      expect(s.waitForUser!.count).toBeGreaterThan(0);
    }
  });

  it('mixed over two processes: samples from both are merged', async () => {
    const result = await run('mixed', { stages: ['db_connection_pool'], processes: 2, requests: 40 });
    const [stage] = result.stages;
    expect(stage.count).toBe(40);
    expect(stage.errorRate).toBe(0);
  });

  it('soak: samples every service at start and end', async () => {
    const result = await run('soak', { durationSec: 3 });
    expect(result.stages.map((s) => s.stage)).toEqual(['capacity_probe', 'soak']);
    expect(result.soak!.rateQps).toBeCloseTo(result.soak!.capacityQps * 0.5, 5);
    expect(result.stages[1].open!.offeredQps).toBeCloseTo(result.soak!.rateQps, 5);
    expect(new Set(result.soak!.findings.map((f) => f.service))).toEqual(new Set(['auth-gateway', 'user-command', 'wal-relay', 'user-consumer']));
    for (const f of result.soak!.findings) expect(Number.isFinite(f.start) && Number.isFinite(f.end)).toBe(true);
  });

  it('open model (--rate): sends on schedule and reports offered vs accepted', async () => {
    const result = await run('login', { arrivalRate: 20, durationSec: 2 });
    const [stage] = result.stages;
    expect(stage.count).toBe(40);
    expect(stage.errorRate).toBe(0);
    expect(stage.open).toMatchObject({ offeredQps: 20, windowSec: 2 });
    expect(stage.open!.acceptedQps).toBeGreaterThan(0);
  });

  it('keeps tokens fresh: an access token that expires mid-run is refreshed, not fatal', async () => {
    // ACCESS_TOKEN_TTL is 40 s and TokenKeeper renews 30 s before expiry, so a run longer than
    // 10 s must refresh (rotating refresh token) rather than fail with 401s.
    const result = await run('update', { stages: ['baseline_concurrent'], durationSec: 12, seedUsers: 2 });
    expect(result.stages[0].errorRate).toBe(0);
    expect(result.tokens.refreshes).toBeGreaterThan(0);
  });
});
