// The real Jaeger UI for the Jaeger built from the Go module (which serves only a placeholder page):
// the production build inside the crates.io package otlp-embedded (defaults.ts JAEGER_UI), fetched
// once with cargo into the cache and served through jaeger_query.ui.assets_path.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from './component';
import { JAEGER_UI, VERSIONS } from './defaults';
import { aptInstall, hasCommand, InfraError, isRoot, needCommand, run } from './proc';

/** Where the unpacked `jaeger-ui/` folder of the crate lives; its `build/` is the assets path. */
export const jaegerUiDir = (cacheDir: string): string => path.join(cacheDir, `jaeger-ui-${JAEGER_UI.crate}-${JAEGER_UI.version}`);
export const jaegerUiAssets = (cacheDir: string): string => path.join(jaegerUiDir(cacheDir), 'build');

/**
 * The UI's assets directory, fetching it when it is not cached yet; null (after one line saying
 * why) when it cannot be had: Jaeger then runs with its API only, and the browser test fails.
 */
export async function prepareJaegerUi(ctx: Context): Promise<string | null> {
  const assets = jaegerUiAssets(ctx.settings.cacheDir);
  if (existsSync(path.join(assets, 'index.html'))) return assets;
  const log = path.join(ctx.settings.logsDir, 'jaeger-ui.log');
  try {
    ctx.say(`jaeger    fetching Jaeger UI ${JAEGER_UI.uiVersion} (crate ${JAEGER_UI.crate} ${JAEGER_UI.version}) with cargo, once (log: ${log})`);
    await fetchJaegerUi(ctx, log);
    return assets;
  } catch (err) {
    // another infra program (another data dir) may have unpacked it meanwhile
    if (existsSync(path.join(assets, 'index.html'))) return assets;
    const why = err instanceof InfraError ? err.message.replace(/^infra: /, '') : String((err as Error)?.message ?? err);
    appendFileSync(log, `${why}\n`);
    ctx.say(`jaeger    no Jaeger UI (${why}): Jaeger serves its API only; see ${log}`);
    return null;
  }
}

/** cargo from PATH, else rustup's default location, else Debian's package (as root). */
async function findCargo(ctx: Context): Promise<string> {
  if (await hasCommand('cargo')) return 'cargo';
  const rustup = path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin/cargo');
  if (existsSync(rustup)) return rustup;
  if (!isRoot()) throw new InfraError('jaeger-ui', 'missing', `cargo not found; install it (sudo apt-get install -y ${VERSIONS.debian.cargo}) and re-run`);
  await aptInstall('cargo', [VERSIONS.debian.cargo], ctx.settings.logsDir, ctx.say);
  return 'cargo';
}

/**
 * A throw-away manifest depending on exactly that version, `cargo fetch` (cargo resolves the
 * registry, mirrors and proxies as configured for this user), then the .crate file from cargo's
 * download cache, checked against the pinned sha256, and its `jaeger-ui/` folder unpacked.
 */
async function fetchJaegerUi(ctx: Context, log: string): Promise<void> {
  const cargo = await findCargo(ctx);
  const tmp = mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'jaeger-ui.'));
  try {
    writeFileSync(
      path.join(tmp, 'Cargo.toml'),
      [
        '[package]',
        'name = "usersys-jaeger-ui-fetch"',
        'version = "0.0.0"',
        'edition = "2021"',
        'publish = false',
        '',
        '[lib]',
        'path = "lib.rs"',
        '',
        '[dependencies]',
        `${JAEGER_UI.crate} = "=${JAEGER_UI.version}"`,
        '',
        '# not part of any enclosing workspace',
        '[workspace]',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(tmp, 'lib.rs'), '');
    appendFileSync(log, `\n===== ${new Date().toISOString()} cargo fetch ${JAEGER_UI.crate} ${JAEGER_UI.version} =====\n`);
    await run(cargo, ['fetch', '--manifest-path', path.join(tmp, 'Cargo.toml')], { cwd: tmp, logFile: log, env: { ...process.env, CARGO_TERM_COLOR: 'never' }, timeoutMs: 10 * 60_000 }).catch(() => {
      throw new InfraError('jaeger-ui', 'failed', `cargo fetch of ${JAEGER_UI.crate} ${JAEGER_UI.version} failed`);
    });
    const crate = verifiedCrate(cargoCacheFiles(`${JAEGER_UI.crate}-${JAEGER_UI.version}.crate`));
    const out = path.join(tmp, 'out');
    mkdirSync(out);
    const inner = `${JAEGER_UI.crate}-${JAEGER_UI.version}/${path.dirname(JAEGER_UI.folder)}`;
    await run('tar', ['-xzf', crate, '-C', out, inner], { logFile: log }).catch(() => {
      throw new InfraError('jaeger-ui', 'failed', `${crate} has no ${inner}/`);
    });
    if (!existsSync(path.join(out, inner, 'build/index.html'))) throw new InfraError('jaeger-ui', 'failed', `${crate} has no ${JAEGER_UI.folder}/index.html`);
    const dir = jaegerUiDir(ctx.settings.cacheDir);
    mkdirSync(path.dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(path.join(out, inner), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The file of that name in each registry's download cache of cargo (crates.io or a configured mirror). */
export function cargoCacheFiles(name: string, cargoHome = process.env.CARGO_HOME || path.join(os.homedir(), '.cargo')): string[] {
  const cache = path.join(cargoHome, 'registry/cache');
  if (!existsSync(cache)) return [];
  return readdirSync(cache)
    .map((registry) => path.join(cache, registry, name))
    .filter((f) => existsSync(f));
}

/** The first candidate whose sha256 is the pinned one; refuses when none is. */
export function verifiedCrate(candidates: string[], sha256: string = JAEGER_UI.sha256): string {
  if (!candidates.length) throw new InfraError('jaeger-ui', 'failed', `cargo fetch left no ${JAEGER_UI.crate}-${JAEGER_UI.version}.crate in its cache`);
  const sums = candidates.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));
  const i = sums.indexOf(sha256);
  if (i < 0) throw new InfraError('jaeger-ui', 'failed', `${candidates[0]} has sha256 ${sums[0]}, expected ${sha256}`);
  return candidates[i];
}

/**
 * Debian's chromium, for the Jaeger UI's browser test (apps/e2e/src/jaeger-ui.e2e.spec.ts drives it
 * with playwright-core): `tools/infra.sh browser`, which `npm test` runs. Resolves with its path.
 */
export async function ensureBrowser(ctx: Context): Promise<string> {
  if (process.env.CHROMIUM_PATH) {
    if (!existsSync(process.env.CHROMIUM_PATH)) throw new InfraError('browser', 'missing', `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`);
    return process.env.CHROMIUM_PATH;
  }
  await needCommand('chromium', VERSIONS.debian.chromium, ctx.settings.logsDir, ctx.say);
  return (await run('sh', ['-c', 'command -v chromium'])).trim();
}
