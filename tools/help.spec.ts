import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// `--help` on every tool: exit 0, the usage on stdout, no stack trace (tools/cli.ts has the
// convention). Every shell script and every TypeScript entry point directly under tools/ is run,
// so a new tool is checked without being listed here; the npm scripts' programs too.
const REPO = path.resolve(__dirname, '..');

/** tools/*.ts that are not commands, or must not be started here. */
const NOT_COMMANDS = new Map([
  ['tools/cli.ts', 'the shared argument helpers'],
  ['tools/generated-block.ts', 'the generated-block helpers of compose-parts.ts and helm-contract.ts'],
]);

type Command = { name: string; cmd: string; args: string[] };

const tsTool = (file: string, ...before: string[]): Command => ({ name: file, cmd: process.execPath, args: ['--import', 'tsx', file, ...before, '--help'] });
const shTool = (file: string, ...before: string[]): Command => ({ name: [file, ...before].join(' '), cmd: 'bash', args: [file, ...before, '--help'] });

function commands(): Command[] {
  const top = readdirSync(path.join(REPO, 'tools')).map((name) => `tools/${name}`);
  const scripts = top.filter((file) => file.endsWith('.sh') && file !== 'tools/bootstrap.sh').map((file) => shTool(file));
  const entries = top
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.spec-helper.ts') && !NOT_COMMANDS.has(file))
    .map((file) => tsTool(file));
  return [
    shTool('tools/bootstrap.sh', 'start'),
    shTool('tools/bootstrap.sh', 'test'),
    shTool('tools/bootstrap.sh', 'prepare'),
    ...scripts,
    ...entries,
    tsTool('tools/load/main.ts'),
    tsTool('tools/trace/main.ts'),
    tsTool('tools/infra/main.ts'),
    tsTool('apps/user-command/src/lost-wal.ts'),
    tsTool('bench/run.ts'),
  ];
}

function runHelp(c: Command): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(c.cmd, c.args, { cwd: REPO, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000); // a tool that ignores --help and starts working
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('--help on every tool', () => {
  const all = commands();

  it('covers the programs of the npm scripts', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const programs = Object.values(pkg.scripts).flatMap((s) => s.match(/\S+\.(?:ts|sh)\b/g) ?? []);
    const covered = new Set(all.flatMap((c) => c.args.filter((a) => /\.(ts|sh)$/.test(a))));
    expect(programs.filter((p) => !covered.has(p) && !NOT_COMMANDS.has(p))).toEqual([]);
    expect(all.length).toBeGreaterThan(15);
  });

  it.each(all.map((c) => [c.name, c] as const))('%s --help: exit 0, usage on stdout, no stack trace', async (_name, c) => {
    const r = await runHelp(c);
    expect({ code: r.code, stderr: r.stderr.match(/^\s+at .+\(.*:\d+:\d+\)$/m)?.[0] ?? null }).toEqual({ code: 0, stderr: null });
    expect(r.stdout.trim().length).toBeGreaterThan(40);
    expect(r.stdout).not.toMatch(/Error:|^\s+at /m);
  }, 60_000);
});
