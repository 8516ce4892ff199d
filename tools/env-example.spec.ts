import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// .env.example lists every secret and setting the services, the libs, the local infrastructure
// program, the tools and the end-to-end tests read, and compose asks only for secrets .env.example
// names: a new setting without a line there fails here. Not listed: the benchmarks' knobs
// (`npm run bench -- --help`), tools/trace-login-cpu.ts's (its --help), the test fixtures' (`testing`
// directories and the libs/*-testing projects) and the system's own.
const REPO = path.resolve(__dirname, '..');

const SYSTEM = new Set(['CI', 'HOME', 'PATH', 'TMPDIR', 'JAVA_HOME', 'NODE_OPTIONS']);
const OWN_HELP = ['trace-login-cpu.ts'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (['node_modules', 'generated', 'testing', 'fixtures', ...OWN_HELP].includes(name)) return [];
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') && !full.endsWith('.spec.ts') ? [full] : [];
  });
}

/** Names read through the config readers (`envInt(env, 'NAME', …)`, `env.NAME`, `env['NAME']`, `envSecret(env, NAME, …)`: specs are named after their variable). */
function namesRead(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'|\benv\.([A-Z][A-Z0-9_]+)|envSecret\(env, ([A-Z][A-Z0-9_]+)|\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g)) {
      const name = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (!SYSTEM.has(name)) names.add(name);
    }
  }
  return names;
}

describe('.env.example', () => {
  const example = readFileSync(path.join(REPO, '.env.example'), 'utf8');
  const listed = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const required = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=$/gm)].map((m) => m[1]));

  it('lists every setting each service, lib, the infrastructure program, tool and end-to-end test reads', () => {
    const apps = readdirSync(path.join(REPO, 'apps')).map((a) => path.join(REPO, 'apps', a, 'src'));
    const libs = readdirSync(path.join(REPO, 'libs')).filter((l) => !l.endsWith('-testing')).map((l) => path.join(REPO, 'libs', l, 'src'));
    const read = namesRead([...apps, ...libs, path.join(REPO, 'tools')].flatMap(sources));
    expect(read.size).toBeGreaterThan(100);
    for (const name of ['LOGIN_RATE_LIMIT', 'KAFKA_PORT', 'INFRA_DATA_DIR', 'JAEGER_QUERY_URL', 'TEST_DATABASE_URL', 'INVARIANT_SEED']) expect(read).toContain(name);
    expect([...read].filter((name) => !listed.has(name)).sort()).toEqual([]);
  });

  it('leaves every secret empty, and compose requires exactly those', () => {
    const compose = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
    const composeRequires = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]+):\?set \1, see \.env\.example\}/g)].map((m) => m[1]));
    expect([...required].sort()).toEqual(['ADMIN_PASSWORD', 'CACHE_HMAC_KEY', 'INTERNAL_TOKEN', 'JWT_SECRET', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD']);
    expect([...composeRequires].sort()).toEqual([...required].sort());
  });
});
