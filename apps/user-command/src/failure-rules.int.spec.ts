import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { pendingMarkerKey, PendingMarkerStore } from '@usersys/pending-marker';
import { startServices, type RunningServices } from '@usersys/service-runner';
import { freePort, startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { contactHolder } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { call, newUser, startInProcess, TOKEN, walEvents } from '@usersys/user-command-testing';

async function stepCount(base: string, step: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('user_command_step_duration_seconds_count{') && l.includes(`step="${step}"`) && l.includes(`outcome="${outcome}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

// The failure rules of the synchronous path, against the real service and real dependencies.
describe('failure rules', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
  }, 120_000);
  afterAll(() => db?.drop());

  describe('Redis down', () => {
    let redis: PrivateService;
    let service: Awaited<ReturnType<typeof startInProcess>>;
    let probe: Redis;

    beforeAll(async () => {
      redis = await startPrivateRedis();
      probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      await probe.connect();
      // A slow hash (cost 13) leaves time to take Redis away between the reservations and the marker.
      service = await startInProcess({ databaseUrl: db.url, redisUrl: redis.url, bcryptCost: 13, hashWorkers: 1 });
    }, 180_000);
    afterAll(async () => {
      probe?.disconnect();
      await service?.cleanup();
      await redis?.destroy();
    });

    it('at the marker step answers 503 and writes no WAL record', async () => {
      const user = newUser();
      const response = call(service.url, 'POST', '/internal/users', user);
      // The reservation exists once uniqueness passed; the request is then hashing.
      for (let i = 0; i < 2000 && (await contactHolder(probe, 'email', user.email.toLowerCase())) !== user.username; i++) await new Promise((r) => setTimeout(r, 5));
      await redis.kill();
      const res = await response;
      expect(res).toMatchObject({ status: 503, body: { code: 110006 } });
      expect(await walEvents(service.walPath)).toEqual([]);
      // It was the marker step that failed (uniqueness and hashing had passed).
      expect(await stepCount(service.url, 'hashPassword', 'ok')).toBe(1);
      expect(await stepCount(service.url, 'markUserPendingCreate', 'error')).toBe(1);
    }, 60_000);

    it('from the start answers 503 and writes no WAL record', async () => {
      const res = await call(service.url, 'POST', '/internal/users', newUser());
      expect(res).toMatchObject({ status: 503, body: { code: 110006 } });
      expect(await walEvents(service.walPath)).toEqual([]);
    });
  });

  describe('WAL append fails', () => {
    let services: RunningServices;
    let walDir: string;
    const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true });

    beforeAll(async () => {
      walDir = await mkdtemp(path.join(os.tmpdir(), 'user-command-wal-fail-'));
      const port = await freePort();
      services = await startServices({
        only: ['user-command'],
        logDir: path.join(walDir, 'logs'),
        env: { USER_COMMAND_PORT: String(port), DATABASE_URL: db.url, WAL_DIR: walDir, INTERNAL_TOKEN: TOKEN, BCRYPT_COST: '4', OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'warn' },
      });
      // Disk full, simulated: the service may no longer grow any file (its WAL segment is empty).
      await promisify(execFile)('prlimit', ['--pid', String(services.processes.get('user-command')!.pid), '--fsize=0:0']);
      await redis.connect();
    }, 120_000);
    afterAll(async () => {
      await services?.stop();
      await redis.quit();
      await rm(walDir, { recursive: true, force: true });
    });

    it('answers 503, gives the marker back, nothing is in the WAL; the retry is not answered 202 with the failed request', async () => {
      const user = newUser();
      const res = await call(`http://127.0.0.1:${services.portOf('user-command')}`, 'POST', '/internal/users', user);
      expect(res).toMatchObject({ status: 503, body: { code: 110007 } });
      expect(await stepCount(`http://127.0.0.1:${services.portOf('user-command')}`, 'walAppend', 'error')).toBe(1);
      expect(await new PendingMarkerStore(redis, { ttlMs: 0 }).read(user.username)).toBeNull();
      // The client retries as the 503 says; the disk is still full, so the honest answer is 503 again.
      const retry = await call(`http://127.0.0.1:${services.portOf('user-command')}`, 'POST', '/internal/users', user);
      expect(retry).toMatchObject({ status: 503, body: { code: 110007 } });
      expect(await walEvents(path.join(walDir, 'user-command'))).toEqual([]);
      await redis.del(pendingMarkerKey(user.username));
    });
  });
});
