// Production build of one app: its code and the workspace libs bundled into dist/apps/<app>/main.js
// (plus the tracing preload), every npm package left external so OpenTelemetry can still patch
// express, ioredis, pg and kafkajs at run time. Run: node --import ./register.js main.js
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const app = process.argv[2];
if (!app) {
  console.error('usage: node tools/build-app.mjs <app>');
  process.exit(2);
}
const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist/apps', app);
mkdirSync(outdir, { recursive: true });

const externalNpmPackages = {
  name: 'external-npm',
  setup(b) {
    // Bare imports that are not our own @usersys/* libs stay `require`d from node_modules.
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@usersys/') ? undefined : { path: args.path, external: true }));
  },
};

await build({
  entryPoints: { main: path.join(root, 'apps', app, 'src/main.ts'), register: path.join(root, 'libs/tracing/src/register.ts') },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  sourcemap: true,
  plugins: [externalNpmPackages],
  logLevel: 'warning',
});
// Worker files loaded by path at run time travel next to the bundle (the bcrypt workers of
// @usersys/service-kit's PasswordHashPool: auth-gateway and user-command).
cpSync(path.join(root, 'libs/service-kit/src/hash-worker.cjs'), path.join(outdir, 'hash-worker.cjs'));
console.log(`built dist/apps/${app}`);
