import { spawnSync } from 'node:child_process';
import path from 'node:path';

// `npm run test:unit` (jest.unit.config.cjs) and the integration specs (jest.int.config.cjs) split
// the specs of `npm test` (jest.config.cjs): nothing is lost, nothing runs twice, and no spec that
// needs infrastructure is in the quick loop.
const REPO = path.resolve(__dirname, '..');

function listTests(config: string): string[] {
  const r = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '-c', config, '--listTests'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`jest -c ${config} --listTests failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((line) => line.endsWith('.spec.ts'))
    .map((file) => path.relative(REPO, file))
    .sort();
}

describe('unit / integration split', () => {
  const all = listTests('jest.config.cjs');
  const unit = listTests('jest.unit.config.cjs');
  const integration = listTests('jest.int.config.cjs');

  it('adds up to every spec of npm test, each in exactly one half', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(unit.filter((file) => integration.includes(file))).toEqual([]);
    expect([...unit, ...integration].sort()).toEqual(all);
  });

  it('keeps *.int.spec.ts out of the unit half and only those in the integration half', () => {
    expect(unit.filter((file) => file.endsWith('.int.spec.ts'))).toEqual([]);
    expect(integration.filter((file) => !file.endsWith('.int.spec.ts'))).toEqual([]);
    expect(unit.length).toBeGreaterThan(50);
    expect(integration.length).toBeGreaterThan(30);
  });
});
