import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The operator tool as an operator runs it (no infrastructure needed for these two answers).
const REPO = path.resolve(__dirname, '../../..');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'apps/user-command/src/lost-wal.ts', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });

describe('npm run lost-wal', () => {
  it('--help prints the usage and exits 0', () => {
    const result = run('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: npm run lost-wal -- --wal <WAL_NAME> [--apply] [--json]');
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('without --wal (or with an unknown flag) prints the usage and exits 2', () => {
    expect(run().status).toBe(2);
    const unknown = run('--wall', 'x');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('usage:');
  });
});
