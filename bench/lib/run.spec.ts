import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('npm run bench -- --help', () => {
  it('prints the usage with every benchmark name and exits 0 without running anything', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../run.ts'), '--help'], { cwd: path.join(__dirname, '../..'), encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run bench/);
    expect(r.stdout).toMatch(/idle, login, refresh/);
    expect(r.stdout).not.toMatch(/=== bench/);
  });
});
