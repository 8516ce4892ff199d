import { readSettings, writeScrapeTargets } from '@usersys/infra';
import { clusterTopology, singleTopology } from '@usersys/service-runner';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// What npm start (tools/run-services.ts) hands to Prometheus: every instance of the topology it
// runs, one scrape target each, in its app's job.
describe("Prometheus' targets from the service topologies", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-prometheus-targets-'));
  const settings = readSettings({ INFRA_DATA_DIR: dataDir });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const targets = (app: string) =>
    (JSON.parse(readFileSync(path.join(dataDir, 'prometheus/targets', `${app}.json`), 'utf8')) as { targets: string[]; labels: { replica: string } }[]).map((g) => `${g.labels.replica}@${g.targets.join(',')}`);
  const write = (instances: ReturnType<typeof singleTopology>) => writeScrapeTargets(settings, instances.map((i) => ({ app: i.app, port: i.port, name: i.name })));

  it('cluster mode: every replica', () => {
    write(clusterTopology());
    expect(targets('auth-gateway')).toEqual(['auth-gateway-1@127.0.0.1:8091', 'auth-gateway-2@127.0.0.1:8092']);
    expect(targets('user-command')).toEqual(['user-command-1@127.0.0.1:8101', 'user-command-2@127.0.0.1:8102']);
    expect(targets('wal-relay')).toEqual(['wal-relay-1@127.0.0.1:9471', 'wal-relay-2@127.0.0.1:9472']);
    expect(targets('user-consumer')).toEqual(['user-consumer-1@127.0.0.1:9481', 'user-consumer-2@127.0.0.1:9482', 'user-consumer-3@127.0.0.1:9483']);
  });

  it('single mode afterwards: the four processes only (no replica of the cluster left behind)', () => {
    write(singleTopology({}));
    expect(['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'].map(targets)).toEqual([
      ['auth-gateway@127.0.0.1:8080'],
      ['user-command@127.0.0.1:8081'],
      ['wal-relay@127.0.0.1:9464'],
      ['user-consumer@127.0.0.1:9465'],
    ]);
  });
});
