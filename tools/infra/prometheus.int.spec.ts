import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prometheusConfig, SCRAPED_APPS } from './prometheus';
import { REPO } from './settings';

// Needs Debian's promtool (tools/infra.sh up installs the prometheus package).
describe('the Prometheus configuration of the local infrastructure', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'usersys-prometheus-config-'));
  const targetsDir = path.join(dir, 'targets');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a configuration promtool accepts, with the rules of infra/prometheus/rules and one job per app', () => {
    const config = prometheusConfig(REPO, targetsDir);
    expect(config).toContain(`rule_files:\n  - "${path.join(REPO, 'infra/prometheus/rules/*.yml')}"`);
    expect(config.match(/^ {2}- job_name: (\S+)$/gm)?.map((l) => l.split(': ')[1])).toEqual([...SCRAPED_APPS]);
    const file = path.join(dir, 'prometheus.yml');
    writeFileSync(file, config);
    const out = execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: 3 rule files found/);
  });
});
