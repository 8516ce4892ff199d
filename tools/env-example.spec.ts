import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// .env.example lists every secret and setting the services read, and compose asks only for
// secrets .env.example names: a new setting without a line there fails here.
const REPO = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (['node_modules', 'generated', 'testing', 'fixtures'].includes(name)) return [];
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') && !full.endsWith('.spec.ts') ? [full] : [];
  });
}

/** Names read through the config readers (`envInt(env, 'NAME', …)`, `env.NAME`, `envSecret(env, NAME, …)`: specs are named after their variable). */
function namesRead(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'|\benv\.([A-Z][A-Z0-9_]+)|envSecret\(env, ([A-Z][A-Z0-9_]+)/g)) names.add(m[1] ?? m[2] ?? m[3]);
  }
  return names;
}

describe('.env.example', () => {
  const example = readFileSync(path.join(REPO, '.env.example'), 'utf8');
  const listed = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
  const required = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=$/gm)].map((m) => m[1]));

  it('lists every setting each service, libs/config and the tracing preload read', () => {
    const apps = readdirSync(path.join(REPO, 'apps')).filter((a) => a !== 'e2e');
    const read = namesRead([...apps.flatMap((a) => sources(path.join(REPO, 'apps', a, 'src'))), ...sources(path.join(REPO, 'libs/config/src')), ...sources(path.join(REPO, 'libs/tracing/src'))]);
    expect(read.size).toBeGreaterThan(50);
    expect([...read].filter((name) => !listed.has(name)).sort()).toEqual([]);
  });

  it('leaves every secret empty, and compose requires exactly those', () => {
    const compose = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
    const composeRequires = new Set([...compose.matchAll(/\$\{([A-Z][A-Z0-9_]+):\?set \1, see \.env\.example\}/g)].map((m) => m[1]));
    expect([...required].sort()).toEqual(['ADMIN_PASSWORD', 'CACHE_HMAC_KEY', 'INTERNAL_TOKEN', 'JWT_SECRET', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD']);
    expect([...composeRequires].sort()).toEqual([...required].sort());
  });
});
