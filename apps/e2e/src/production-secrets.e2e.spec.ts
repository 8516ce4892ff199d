import { DEV_ADMIN_PASSWORD, DEV_CACHE_HMAC_KEY, DEV_INTERNAL_TOKEN } from '@usersys/config';
import { REPO, serviceCommand } from '@usersys/service-runner';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Each real service process, started the way `npm start` starts it (service-runner's command:
 * tsx and the tracing preload before the app's main), with NODE_ENV=production and one secret
 * missing, left at its development default or too short, must refuse to start: exit code != 0,
 * nothing on stdout (no logger, no connection), and exactly one line on stderr naming the variable.
 * No infrastructure is needed: the configuration is refused before anything connects.
 * wal-relay reads no secret, so it has no case here. Every secret of every service, and each
 * rule, is covered by libs/config's secrets.spec.ts; this proves the processes apply them.
 */
const strong = () => randomBytes(33).toString('base64'); // 44 bytes

function productionEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    ...env,
    NODE_ENV: 'production',
    JWT_SECRET: strong(),
    INTERNAL_TOKEN: strong(),
    CACHE_HMAC_KEY: strong(),
    ADMIN_PASSWORD: `admin-${randomBytes(8).toString('hex')}`,
    // Its own password; the port is closed, so a service that did start would not get far.
    REDIS_URL: `redis://usersys:${randomBytes(16).toString('hex')}@127.0.0.1:1`,
    OTEL_TRACES_EXPORTER: 'none',
  };
}

interface Case {
  service: 'auth-gateway' | 'user-command' | 'user-consumer';
  what: string;
  variable: string;
  /** undefined: unset */
  value: string | undefined;
  reason: RegExp;
}

const MISSING = /must be set when NODE_ENV=production/;
const DEV_DEFAULT = /is a development default/;
const TOO_SHORT = /must be (at least 32|8-72) bytes \(it has \d+\) when NODE_ENV=production/;

const CASES: Case[] = [
  { service: 'auth-gateway', what: 'missing', variable: 'JWT_SECRET', value: undefined, reason: MISSING },
  { service: 'auth-gateway', what: 'the development default', variable: 'ADMIN_PASSWORD', value: DEV_ADMIN_PASSWORD, reason: DEV_DEFAULT },
  { service: 'auth-gateway', what: 'too short', variable: 'INTERNAL_TOKEN', value: 'x'.repeat(31), reason: TOO_SHORT },
  { service: 'user-command', what: 'missing', variable: 'INTERNAL_TOKEN', value: undefined, reason: MISSING },
  { service: 'user-command', what: 'the development default', variable: 'CACHE_HMAC_KEY', value: DEV_CACHE_HMAC_KEY, reason: DEV_DEFAULT },
  { service: 'user-command', what: 'too short', variable: 'CACHE_HMAC_KEY', value: 'short-hmac-key', reason: TOO_SHORT },
  { service: 'user-command', what: 'the development default (unset: the default URL)', variable: 'REDIS_URL', value: undefined, reason: /carries the development Redis password/ },
  { service: 'user-consumer', what: 'missing', variable: 'CACHE_HMAC_KEY', value: undefined, reason: MISSING },
  { service: 'user-consumer', what: 'the development default', variable: 'INTERNAL_TOKEN', value: DEV_INTERNAL_TOKEN, reason: DEV_DEFAULT },
  { service: 'user-consumer', what: 'too short', variable: 'INTERNAL_TOKEN', value: 'dev-token-31-bytes-long-xxxxxxx', reason: TOO_SHORT },
];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(c: Case): Promise<Exit> {
  const env = productionEnv();
  if (c.value === undefined) delete env[c.variable];
  else env[c.variable] = c.value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, serviceCommand(c.service), { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A service that started after all would keep running: stop it so the test fails instead of hanging.
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('error', reject);
    child.once('close', (code, signal) => (clearTimeout(timer), resolve({ code, signal, stdout, stderr })));
  });
}

describe('NODE_ENV=production refuses insecure secrets (each service process)', () => {
  // Two processes at a time (tsx start-up is most of each one's ~2 s), all started up front.
  const results = new Map<Case, Promise<Exit>>();
  beforeAll(() => {
    const queue = [...CASES];
    const next = (): Promise<void> => {
      const c = queue.shift();
      if (!c) return Promise.resolve();
      const run = start(c);
      results.set(c, run);
      return run.then(next, next);
    };
    return Promise.all([next(), next()]);
  }, 60_000);

  it.each(CASES.map((c) => [c.service, c.variable, c.what, c] as const))('%s with %s %s exits non-zero with one line naming it', async (_s, _v, _w, c) => {
    const exit = await results.get(c)!;
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(exit.stdout).toBe('');
    expect(exit.stderr.endsWith('\n')).toBe(true);
    const lines = exit.stderr.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^config: ${c.variable}: `));
    expect(lines[0]).toMatch(c.reason);
    if (c.value) expect(lines[0]).not.toContain(c.value); // a secret is never echoed
  });
});
