// Jaeger v2 all-in-one, in-memory storage, built once from the Go module into the cache, with the
// real Jaeger UI from jaeger-ui.ts (or its API only when the UI cannot be fetched).
import { cpSync, existsSync, mkdtempSync, mkdirSync, renameSync, rmSync, appendFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Component, Context } from './component';
import { JAEGER_MODULE, JAEGER_UI, VERSIONS } from './defaults';
import { prepareJaegerUi } from './jaeger-ui';
import { hasCommand, InfraError, needCommand, pidMatching, portOpen, requireFreePort, rmPid, run, spawnDaemon, stopPid, waitUntil } from './proc';

let found: { bin: string; label: string } | null = null;
/** The UI's assets directory (jaeger-ui.ts), or null: the API only. */
let uiAssets: string | null = null;

const config = (ctx: Context) => path.join(ctx.settings.repo, 'infra/jaeger/config.yaml');
const log = (ctx: Context) => path.join(ctx.settings.logsDir, 'jaeger.log');
const pidFile = (ctx: Context) => path.join(ctx.settings.runDir, 'jaeger.pid');
// The marker is the config's path within a repo, not its absolute path: `status` of a data dir used
// by another clone (INFRA_DATA_DIR) still recognises that clone's Jaeger.
const pid = (ctx: Context) => pidMatching(pidFile(ctx), 'infra/jaeger/config.yaml');

/** infra/jaeger/config.yaml reads its ports (and JAEGER_UI_ASSETS) from these variables (${env:...}). */
function portEnv(ctx: Context): Record<string, string> {
  const j = ctx.settings.jaeger;
  return {
    JAEGER_UI_PORT: String(j.uiPort),
    JAEGER_QUERY_GRPC_PORT: String(j.queryGrpcPort),
    JAEGER_OTLP_GRPC_PORT: String(j.otlpGrpcPort),
    JAEGER_OTLP_HTTP_PORT: String(j.otlpHttpPort),
    JAEGER_THRIFT_HTTP_PORT: String(j.thriftHttpPort),
  };
}

/**
 * `go install` refuses this module (its go.mod has replace directives), so build inside a writable
 * copy of the downloaded module instead. False when the proxy does not serve that version.
 */
async function build(ctx: Context, version: string, label: string): Promise<boolean> {
  const buildLog = path.join(ctx.settings.logsDir, 'jaeger-build.log');
  const out = path.join(ctx.settings.cacheDir, `jaeger-${version}`);
  appendFileSync(buildLog, `\n===== ${new Date().toISOString()} go mod download ${JAEGER_MODULE}@${version} =====\n`);
  const goEnv = { ...process.env, GOFLAGS: '' };
  // run outside any module so `go mod download` treats the argument as module@version
  const json = await run('go', ['mod', 'download', '-json', `${JAEGER_MODULE}@${version}`], { cwd: '/', env: goEnv }).catch((e: { stdout?: string }) => e.stdout ?? '');
  appendFileSync(buildLog, json);
  let dir = '';
  try {
    dir = (JSON.parse(json) as { Dir?: string }).Dir ?? '';
  } catch {
    // not served: no JSON with a Dir
  }
  if (!dir || !existsSync(path.join(dir, 'go.mod'))) return false;
  const goVersion = (await run('go', ['env', 'GOVERSION'])).trim();
  ctx.say(`jaeger    building Jaeger ${label} (${JAEGER_MODULE}@${version}) with ${goVersion}; takes minutes, once (log: ${buildLog})`);
  const src = mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'jaeger-src.'));
  try {
    cpSync(dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src]);
    mkdirSync(out, { recursive: true });
    const ldflags = `-X ${JAEGER_MODULE}/internal/version.latestVersion=${label} -X ${JAEGER_MODULE}/internal/version.commitSHA=${version}`;
    // -v: every package goes to the log as it is compiled; the progress lines show the latest
    await run('go', ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', path.join(out, 'jaeger.tmp'), './cmd/jaeger'], {
      cwd: src,
      env: goEnv,
      logFile: buildLog,
      progress: { say: ctx.say, what: `jaeger    building Jaeger ${label}` },
    }).catch(() => {
      rmSync(path.join(out, 'jaeger.tmp'), { force: true });
      throw new InfraError('jaeger', 'failed', `go build of ${JAEGER_MODULE}@${version} failed`, buildLog);
    });
    renameSync(path.join(out, 'jaeger.tmp'), path.join(out, 'jaeger'));
    chmodSync(path.join(out, 'jaeger'), 0o755);
    return true;
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/** A binary built earlier (no network at all), else a build of the first version the proxy serves. */
async function prepareBinary(ctx: Context): Promise<{ bin: string; label: string }> {
  const { settings, say } = ctx;
  await needCommand('curl', VERSIONS.debian.curl, settings.logsDir, say);
  for (const v of VERSIONS.jaeger) {
    const bin = path.join(settings.cacheDir, `jaeger-${v.module}/jaeger`);
    if (existsSync(bin)) return { bin, label: v.label };
  }
  // Debian 12's golang (1.19) is too old for Jaeger, so no apt fallback here.
  if (!(await hasCommand('go'))) {
    throw new InfraError('jaeger', 'missing', `Go toolchain not found (needed once to build Jaeger into ${settings.cacheDir}); install Go >= 1.24 from https://go.dev/dl and re-run`);
  }
  for (const v of VERSIONS.jaeger) {
    if (await build(ctx, v.module, v.label)) return { bin: path.join(settings.cacheDir, `jaeger-${v.module}/jaeger`), label: v.label };
    say(`jaeger    Jaeger ${v.label} (${JAEGER_MODULE}@${v.module}) not available from the Go module proxy, trying the next version`);
  }
  throw new InfraError('jaeger', 'missing', `no Jaeger version could be downloaded (${VERSIONS.jaeger.map((v) => `${v.module}:${v.label}`).join(' ')})`, path.join(settings.logsDir, 'jaeger-build.log'));
}

/** Whether :16686 serves the real UI (not the binary's placeholder page). */
async function servesUi(ctx: Context): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${ctx.settings.jaeger.uiPort}/search`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  return res?.ok === true && (await res.text()).includes('<title>Jaeger UI</title>');
}

async function isReady(ctx: Context): Promise<boolean> {
  const j = ctx.settings.jaeger;
  const res = await fetch(`http://127.0.0.1:${j.uiPort}/api/services`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  if (!res?.ok || !(await res.text()).includes('"data"')) return false;
  return (await portOpen(j.otlpHttpPort)) && (await portOpen(j.otlpGrpcPort)) && (await portOpen(j.thriftHttpPort));
}

export const jaeger: Component = {
  name: 'jaeger',
  logPatterns: ['jaeger*.log'],

  async prepare(ctx) {
    found = await prepareBinary(ctx);
    uiAssets = await prepareJaegerUi(ctx);
  },

  async start(ctx) {
    if (pid(ctx) !== null) return;
    for (const [name, port] of Object.entries(portEnv(ctx))) await requireFreePort('jaeger', Number(port), name, log(ctx));
    if (!found) throw new Error('jaeger: prepare() has not run');
    spawnDaemon('jaeger', log(ctx), pidFile(ctx), found.bin, ['--config', config(ctx)], {
      ...process.env,
      ...portEnv(ctx),
      // the config's ui.assets_path; empty: the binary's own placeholder page
      JAEGER_UI_ASSETS: uiAssets ?? '',
    });
  },

  async ready(ctx) {
    const p = pid(ctx);
    if (p === null) throw new InfraError('jaeger', 'failed', 'process exited during start-up', log(ctx));
    const outcome = await waitUntil(60, p, () => isReady(ctx), { say: ctx.say, what: 'jaeger    waiting for its ports', logFile: log(ctx) });
    if (outcome === 'died') throw new InfraError('jaeger', 'failed', 'process exited during start-up', log(ctx));
    if (outcome === 'timeout') {
      throw new InfraError('jaeger', 'failed', `no answer on http://127.0.0.1:${ctx.settings.jaeger.uiPort}/api/services (or OTLP/thrift ports closed) after 60s`, log(ctx));
    }
    const ui = `http://127.0.0.1:${ctx.settings.jaeger.uiPort}`;
    if (uiAssets && !(await servesUi(ctx))) {
      // started before the UI was fetched; a restart would lose the traces in memory, so only say so
      ctx.say(`jaeger    running without its UI (started before the UI was fetched); restart it: INFRA_SERVICES=jaeger bash tools/infra.sh down && bash tools/infra.sh up`);
    }
    ctx.say(`jaeger    ready on ${ui} (Jaeger ${found?.label}, in-memory; ${uiAssets ? `Jaeger UI ${JAEGER_UI.uiVersion}` : 'API only, no UI'})`);
  },

  async stop(ctx) {
    const p = pid(ctx);
    if (p !== null) await stopPid('jaeger', p, 15, ctx.say, ctx.settings.logsDir);
    rmPid(pidFile(ctx));
    if (p !== null) ctx.say('jaeger stopped');
  },

  async status(ctx) {
    const j = ctx.settings.jaeger;
    return [{ name: 'jaeger', pid: pid(ctx), port: j.uiPort, extra: `otlp grpc :${j.otlpGrpcPort} http :${j.otlpHttpPort}, thrift :${j.thriftHttpPort}` }];
  },

  env(ctx) {
    const j = ctx.settings.jaeger;
    return {
      JAEGER_UI: `http://127.0.0.1:${j.uiPort}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${j.otlpHttpPort}`,
      JAEGER_THRIFT_ENDPOINT: `http://127.0.0.1:${j.thriftHttpPort}/api/traces`,
    };
  },

  // traces are in memory only
  dataPaths: (ctx) => [log(ctx)],
};
