// Production build of one app: its code and the workspace libs bundled into dist/apps/<app>/main.js
// (plus the tracing preload), every npm package left external so OpenTelemetry can still patch
// express, ioredis, pg and kafkajs at run time. Run: node --import ./register.js main.js
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// outdir (default dist/apps/<app>) is for tests: there the esbuild metafile is written too (meta.json).
const [app, outdirArg] = process.argv.slice(2);
if (!app) {
  console.error('usage: node tools/build-app.mjs <app> [outdir]');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
const outdir = outdirArg ? path.resolve(outdirArg) : path.join(root, 'dist/apps', app);
mkdirSync(outdir, { recursive: true });

const externalNpmPackages = {
  name: 'external-npm',
  setup(b) {
    // Bare imports that are not our own @usersys/* libs stay `require`d from node_modules.
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@usersys/') ? undefined : { path: args.path, external: true }));
  },
};

const result = await build({
  entryPoints: { main: path.join(root, 'apps', app, 'src/main.ts'), register: path.join(root, 'libs/tracing/src/register.ts') },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  sourcemap: true,
  plugins: [externalNpmPackages],
  logLevel: 'warning',
  metafile: true,
});
if (outdirArg) writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
// Worker files (piscina loads them by path: `path.join(__dirname, 'x-worker.cjs')`) travel next to
// the bundle, whose __dirname is outdir: each one the bundle names, found beside any of its source
// files (an app's adapters or a lib), and every .cjs file in the app's src/adapters.
const sourceDirs = [...new Set(Object.keys(result.metafile.inputs).map((input) => path.dirname(path.resolve(root, input))))];
const bundle = readFileSync(path.join(outdir, 'main.js'), 'utf8');
const named = [...bundle.matchAll(/__dirname,\s*["']([\w.-]+\.cjs)["']/g)].map((m) => m[1]);
const adapters = path.join(root, 'apps', app, 'src/adapters');
const workers = new Map((existsSync(adapters) ? readdirSync(adapters).filter((name) => name.endsWith('.cjs')) : []).map((name) => [name, path.join(adapters, name)]));
for (const name of named) {
  const dir = sourceDirs.find((d) => existsSync(path.join(d, name)));
  if (!dir) throw new Error(`build-app: the bundle loads ${name}, found beside none of its sources`);
  workers.set(name, path.join(dir, name));
}
for (const [name, source] of workers) cpSync(source, path.join(outdir, name));
console.log(`built ${path.relative(root, outdir)}`);
