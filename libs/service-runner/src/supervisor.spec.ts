import { spawn, type ChildProcess } from 'node:child_process';
import { Supervisor, type Supervisable } from './supervisor';

// Real child processes standing in for services: `exitAfterMs` < 0 means "runs until killed".
function child(exitAfterMs: number, code = 3): ChildProcess {
  const script = exitAfterMs < 0 ? 'setInterval(() => {}, 1000)' : `setTimeout(() => process.exit(${code}), ${exitAfterMs})`;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

function fakeServices(plan: Record<string, number[]>): Supervisable & { starts: Record<string, number>; all: ChildProcess[] } {
  const starts: Record<string, number> = {};
  const all: ChildProcess[] = [];
  const processes = new Map<string, ChildProcess>();
  const next = (name: string) => {
    starts[name] = (starts[name] ?? 0) + 1;
    const lives = plan[name];
    const proc = child(lives[Math.min(starts[name] - 1, lives.length - 1)]);
    all.push(proc);
    processes.set(name, proc);
    return proc;
  };
  for (const name of Object.keys(plan)) next(name);
  return {
    processes,
    starts,
    all,
    restart: async (name) => {
      const proc = next(name);
      // "healthy" = still running 100 ms later; dying sooner is a failed start
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 100);
        proc.once('exit', () => {
          clearTimeout(timer);
          reject(new Error('exited during start-up'));
        });
      });
    },
    kill: async (name, signal = 'SIGKILL') => {
      const proc = processes.get(name)!;
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill(signal);
        await gone;
      }
    },
  };
}

const until = async (check: () => boolean, ms = 10_000) => {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error('condition not met in time');
};

describe('Supervisor', () => {
  let services: ReturnType<typeof fakeServices>;
  let supervisor: Supervisor;
  afterEach(() => {
    supervisor.stop();
    for (const proc of services.all) proc.kill('SIGKILL');
  });

  it('restarts a service that exits, logs it, and leaves the others running', async () => {
    services = fakeServices({ crasher: [150, -1], steady: [-1] });
    const lines: string[] = [];
    supervisor = new Supervisor(services, { baseMs: 50, log: (l) => lines.push(l) });
    supervisor.start();
    const steady = services.processes.get('steady')!;
    await until(() => lines.some((l) => l.includes('crasher is healthy again')));
    expect(services.starts).toEqual({ crasher: 2, steady: 1 });
    expect(lines[0]).toMatch(/^supervisor: crasher exited \(code 3, signal null\); restart 1 in \d+ ms$/);
    expect(steady.exitCode).toBeNull();
    expect(services.processes.get('crasher')!.exitCode).toBeNull();
  });

  it('backs off a crash loop: each restart waits about twice as long as the one before', async () => {
    services = fakeServices({ looper: [0] }); // dies at once, every time (on a busy machine it may pass as healthy first)
    const lines: string[] = [];
    supervisor = new Supervisor(services, { baseMs: 40, maxMs: 10_000, log: (l) => lines.push(l) });
    supervisor.start();
    const restarts = () => lines.filter((l) => /restart \d+ in \d+ ms$/.test(l));
    await until(() => restarts().length >= 5);
    const delays = restarts().map((l) => Number(/in (\d+) ms$/.exec(l)![1]));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] * 1.5);
    expect(supervisor.attemptsOf('looper')).toBeGreaterThanOrEqual(5);
  });

  it('after stop() an exit is the shutdown: nothing is restarted', async () => {
    services = fakeServices({ quitter: [200] });
    const lines: string[] = [];
    supervisor = new Supervisor(services, { baseMs: 10, log: (l) => lines.push(l) });
    supervisor.start();
    supervisor.stop();
    await new Promise((r) => services.processes.get('quitter')!.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    expect(services.starts.quitter).toBe(1);
    expect(lines).toEqual([]);
  });
});
