import { REPO } from '@usersys/service-runner';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loginAs, poll, signUp, systemEnv, uniqueUser, untilApplied } from './harness';

/**
 * What `npm start` runs (tools/run-services.ts), as a user runs it: one service killed under it is
 * restarted by the supervisor and the system works again; the others never stopped; Ctrl-C still
 * stops everything gracefully.
 */
describe('npm start supervises its services', () => {
  let runner: ChildProcess | undefined;
  afterAll(() => {
    if (runner && runner.exitCode === null) runner.kill('SIGKILL');
  });

  const childOf = (parent: number, app: string): number | undefined => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === parent && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`apps/${app}/src/main.ts`)) return Number(entry);
      } catch {
        // the process ended while we looked
      }
    }
    return undefined;
  };

  it('restarts a SIGKILLed user-command with backoff, keeps the others, and stops all on SIGINT', async () => {
    const env = await systemEnv();
    const gateway = `http://127.0.0.1:${env.AUTH_GATEWAY_PORT}`;
    runner = spawn(process.execPath, ['--import', 'tsx', 'tools/run-services.ts'], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    runner.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    runner.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await poll('the start banner', async () => (out.includes('usersys is up') ? true : undefined), 90_000);

    const gatewayPid = childOf(runner.pid!, 'auth-gateway');
    const killed = childOf(runner.pid!, 'user-command');
    expect(gatewayPid).toBeDefined();
    expect(killed).toBeDefined();
    process.kill(killed!, 'SIGKILL');

    await poll('the supervisor restarted user-command', async () => (err.includes('supervisor: user-command is healthy again') ? true : undefined), 90_000);
    expect(err).toMatch(/supervisor: user-command exited \(code null, signal SIGKILL\); restart 1 in \d+ ms/);
    const restarted = childOf(runner.pid!, 'user-command');
    expect(restarted).toBeDefined();
    expect(restarted).not.toBe(killed);
    expect(childOf(runner.pid!, 'auth-gateway')).toBe(gatewayPid); // the others were never stopped

    // The system works again end to end through the restarted service.
    const user = uniqueUser('sup');
    await untilApplied(gateway, await signUp(gateway, user));
    await loginAs(gateway, user.username, user.password);

    const pids = ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'].map((app) => childOf(runner!.pid!, app)!);
    expect(pids.every((pid) => pid > 0)).toBe(true);
    const exited = new Promise<number | null>((resolve) => runner!.once('exit', (code) => resolve(code)));
    runner.kill('SIGINT');
    expect(await exited).toBe(0);
    const alive = pids.filter((pid) => {
      try {
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(err.match(/supervisor: \S+ exited/g)).toHaveLength(1); // the SIGINT's exits were not taken for crashes
  });
});
