import { spawn } from 'node:child_process';
import net from 'node:net';
import { CpuSampler, cpuMsOf, parseStat, pidListeningOn, portOf } from './cpu';

describe('per-process CPU from /proc', () => {
  it('parses utime+stime and cutime+cstime even when the command name holds ") "', () => {
    const line = '4242 (weird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 150 50 30 20 20 0 9 0 1000 1 1';
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, self: 200, reapedChildren: 50 });
  });

  it("counts a child's CPU for a process measured with its children, after the child has ended", async () => {
    const me = { name: 'me', pid: process.pid };
    const withChildren = { ...me, withChildren: true };
    const [self0, all0] = [cpuMsOf(me), cpuMsOf(withChildren)];
    // A child that burns 400 ms of CPU (its own count, whatever the machine's load), then exits and is reaped by node.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 400000);'], { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', () => resolve());
    });
    const childMs = cpuMsOf(withChildren) - all0 - (cpuMsOf(me) - self0);
    expect(childMs).toBeGreaterThanOrEqual(300);
  });

  it('finds the process listening on a port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      expect(pidListeningOn((server.address() as net.AddressInfo).port)).toBe(process.pid);
    } finally {
      server.close();
    }
  });

  it('reads the port of a connection URL or broker list', () => {
    expect(portOf('redis://usersys:pw@127.0.0.1:6380', 6379)).toBe(6380);
    expect(portOf('postgresql://usersys:usersys@127.0.0.1:5433/usersys_test', 5432)).toBe(5433);
    expect(portOf('127.0.0.1:9094,127.0.0.1:9095', 9092)).toBe(9094);
    expect(portOf('', 4318)).toBe(4318);
  });

  it('divides the CPU used between two readings by the operations and removes the idle baseline', () => {
    const sampler = new CpuSampler([]);
    const before = new Map([
      ['gateway', 1000],
      ['redis', 50],
    ]);
    const after = new Map([
      ['gateway', 3000],
      ['redis', 150],
    ]);
    // no idle rate measured: all of it counts
    expect(sampler.perOp(before, after, 2000, 100, ['gateway'])).toEqual({ perProcess: { gateway: 20, redis: 1 }, total: 21, system: 20, systemNames: ['gateway'] });
  });

  it('subtracts each process its own idle rate over the elapsed time', async () => {
    const sampler = new CpuSampler([{ name: 'me', pid: process.pid }]);
    // Busy (200 ms of CPU) while the idle baseline is measured.
    const measuring = sampler.measureIdle(0.1);
    const start = process.cpuUsage().user;
    while (process.cpuUsage().user - start < 200_000);
    const idle = await measuring;
    expect(idle.me).toBeGreaterThan(100);
    const cpu = sampler.perOp(new Map([['me', 0]]), new Map([['me', idle.me]]), 1000, 1);
    expect(cpu.perProcess.me).toBeCloseTo(0, 6);
  });
});
