import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The command `npm start [-- --cluster]` ends in (after tools/bootstrap.sh start passes its arguments on).
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'tools/run-services.ts', ...args], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', timeout: 60_000 });

describe('tools/run-services.ts', () => {
  it('--help names both modes and exits 0 without starting anything', () => {
    const { status, stdout } = run('--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: npm start \[-- --cluster\]/);
    expect(stdout).toContain('--cluster   the replicated topology');
  });

  it('an unknown flag is one line on stderr and exit 1, not a start in the wrong mode', () => {
    const { status, stderr } = run('--clustr');
    expect(status).toBe(1);
    expect(stderr.trim()).toBe("run-services: Unknown option '--clustr'");
  });
});
