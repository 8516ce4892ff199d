import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Every service has the one shape of libs/service-kit/src/service.ts (docs/architecture.md, "One
// service shape"): its wiring is one defineService value in src/service.ts, its main.ts only runs it,
// and no other file of the app starts a server or handles signals on its own.
const REPO = path.resolve(__dirname, '..');
const SERVICES = ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'];
/** What only service-kit does for a service: listen, build the express app, install signal handlers. */
const LIFECYCLE_CALLS = /\b(listen|createServiceApp|handleShutdown|runMain|startService|process\.once|process\.on)\(/g;

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return productionFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

describe.each(SERVICES)('%s has the one service shape', (service) => {
  const src = path.join(REPO, 'apps', service, 'src');

  it('src/service.ts is its composition root: one defineService value', () => {
    const text = readFileSync(path.join(src, 'service.ts'), 'utf8');
    expect(text.match(/= defineService(<\w+>)?\(/g)).toHaveLength(1);
  });

  it('main.ts runs that service and does nothing else', () => {
    const code = readFileSync(path.join(src, 'main.ts'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('//') && !line.startsWith('import '));
    expect(code).toEqual([expect.stringMatching(/^runService\(\w+, \{ finally: \[\['tracing', \(\) => shutdownTracing\(\)\]\] \}\);$/)]);
  });

  it('no other file of the app listens, builds the express app or handles signals itself', () => {
    const offenders = productionFiles(src).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(LIFECYCLE_CALLS)].map((m) => `${path.relative(REPO, file)}: ${m[1]}(`),
    );
    expect(offenders).toEqual([]);
  });
});
