import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCRAPED_APPS, singleTargets, writeScrapeTargets } from './prometheus';
import { readSettings } from './settings';

describe('Prometheus of the local infrastructure', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-prometheus-spec-'));
  const settings = readSettings({ INFRA_DATA_DIR: dataDir });
  const targetsDir = path.join(dataDir, 'prometheus/targets');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const read = (app: string) => JSON.parse(readFileSync(path.join(targetsDir, `${app}.json`), 'utf8')) as { targets: string[]; labels: Record<string, string> }[];

  it('scrapes the four services on their default ports until a runner names its instances', () => {
    writeScrapeTargets(settings, singleTargets());
    expect(Object.fromEntries(SCRAPED_APPS.map((app) => [app, read(app)]))).toEqual({
      'auth-gateway': [{ targets: ['127.0.0.1:8080'], labels: { replica: 'auth-gateway' } }],
      'user-command': [{ targets: ['127.0.0.1:8081'], labels: { replica: 'user-command' } }],
      'wal-relay': [{ targets: ['127.0.0.1:9464'], labels: { replica: 'wal-relay' } }],
      'user-consumer': [{ targets: ['127.0.0.1:9465'], labels: { replica: 'user-consumer' } }],
    });
  });

  it('scrapes every replica a runner writes, and nothing of an app it does not start', () => {
    writeScrapeTargets(settings, [
      { app: 'auth-gateway', port: 8091, name: 'auth-gateway-1' },
      { app: 'auth-gateway', port: 8092, name: 'auth-gateway-2' },
      { app: 'user-consumer', port: 9481, name: 'user-consumer-1' },
    ]);
    expect(read('auth-gateway')).toEqual([
      { targets: ['127.0.0.1:8091'], labels: { replica: 'auth-gateway-1' } },
      { targets: ['127.0.0.1:8092'], labels: { replica: 'auth-gateway-2' } },
    ]);
    expect(read('user-consumer')).toHaveLength(1);
    expect(read('wal-relay')).toEqual([]);
  });
});
