import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';

// The app images (infra/docker/app.Dockerfile) hold the esbuild bundle, its worker files and only
// the production node_modules (`npm ci --omit=dev`). These tests build each app the way the image
// does and check that nothing it loads at run time is missing there. No Docker engine needed.
const REPO = path.resolve(__dirname, '..');
const APPS = ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'];
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const dockerfile = readFileSync(path.join(REPO, 'infra/docker/app.Dockerfile'), 'utf8');

function packageName(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Packages a CommonJS worker file requires. */
function requiredBy(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/require\(['"]([^'"]+)['"]\)/g)].map((m) => m[1]);
}

describe.each(APPS)('the %s image', (app) => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(path.join(os.tmpdir(), `image-${app}-`));
    execFileSync(process.execPath, [path.join(REPO, 'tools/build-app.mjs'), app, outdir], { cwd: REPO, stdio: 'pipe' });
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('needs only production dependencies at run time (bundle and worker files)', () => {
    const meta = JSON.parse(readFileSync(path.join(outdir, 'meta.json'), 'utf8')) as { outputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
    const external = Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    const workers = readdirSync(outdir).filter((f) => f.endsWith('.cjs'));
    const needed = new Set([...external, ...workers.flatMap((w) => requiredBy(path.join(outdir, w)))].map(packageName).filter((n): n is string => n !== null));
    expect(needed.size).toBeGreaterThan(3);
    expect([...needed].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
  });

  it('ships every file a worker file requires by relative path', () => {
    const workers = readdirSync(outdir).filter((f) => f.endsWith('.cjs'));
    const relative = workers.flatMap((w) => requiredBy(path.join(outdir, w)).filter((r) => r.startsWith('.')));
    expect(relative.filter((r) => !existsSync(path.join(outdir, r)) && !existsSync(path.join(outdir, `${r}.js`)))).toEqual([]);
  });

  it('ships every worker file the bundle loads by path', () => {
    const bundle = readFileSync(path.join(outdir, 'main.js'), 'utf8');
    const loaded = [...bundle.matchAll(/__dirname,\s*["']([\w.-]+\.c?js)["']/g)].map((m) => m[1]);
    const adapters = path.join(REPO, 'apps', app, 'src/adapters');
    const workerSources = existsSync(adapters) ? readdirSync(adapters).filter((f) => f.endsWith('.cjs')) : [];
    expect(loaded.length).toBeGreaterThanOrEqual(workerSources.length);
    expect(loaded.filter((file) => !existsSync(path.join(outdir, file)))).toEqual([]);
  });

  it('health-checks the port the app listens on', () => {
    const config = readFileSync(path.join(REPO, 'apps', app, 'src/config.ts'), 'utf8');
    const [, variable, port] = /envPort\(env, '([A-Z_]+)', (\d+)\)/.exec(config) ?? [];
    const healthcheck = readFileSync(path.join(REPO, 'infra/docker/healthcheck.cjs'), 'utf8');
    expect(healthcheck).toContain(`'${app}': ['${variable}', ${port}]`);
  });
});

describe('infra/docker/app.Dockerfile', () => {
  const stage = (name: string) => dockerfile.split(/^FROM /m).find((s) => new RegExp(` AS ${name}\\n`).test(s)) ?? '';

  it('builds the running app from production dependencies only, as the node user, with a HEALTHCHECK', () => {
    expect(stage('prod-deps')).toMatch(/npm ci --omit=dev/);
    expect(stage('app')).toMatch(/COPY --from=prod-deps \/repo\/node_modules /);
    expect(stage('app')).not.toMatch(/--from=build \/repo\/node_modules|--from=build \/repo \//);
    expect(stage('app')).toMatch(/^USER node$/m);
    expect(stage('app')).toMatch(/^HEALTHCHECK .*healthcheck\.cjs/m);
  });

  it('keeps the host node_modules, data and secrets out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '.data', '.env', 'dist', '.git']) expect(ignored).toContain(entry);
  });
});

describe('infra/docker/start.sh', () => {
  /** What start.sh would run: a stand-in `node` prints WAL_NAME and its arguments. */
  function started(env: Record<string, string>): string {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'start-sh-'));
    try {
      writeFileSync(path.join(bin, 'node'), '#!/bin/sh\necho "WAL_NAME=${WAL_NAME:-} $*"\n');
      chmodSync(path.join(bin, 'node'), 0o755);
      return execFileSync('sh', [path.join(REPO, 'infra/docker/start.sh')], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env }, encoding: 'utf8' }).trim();
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }

  it('gives each user-command container its own WAL directory, named after its hostname', () => {
    expect(started({ APP: 'user-command' })).toBe(`WAL_NAME=user-command-${os.hostname()} --enable-source-maps --import ./dist/apps/user-command/register.js ./dist/apps/user-command/main.js`);
  });

  it('keeps a WAL_NAME that is given, and sets none for the other apps', () => {
    expect(started({ APP: 'user-command', WAL_NAME: 'chosen' })).toMatch(/^WAL_NAME=chosen /);
    expect(started({ APP: 'wal-relay' })).toBe('WAL_NAME= --enable-source-maps --import ./dist/apps/wal-relay/register.js ./dist/apps/wal-relay/main.js');
  });
});
