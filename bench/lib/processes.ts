import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Starts bench/lib/bare-server.ts on `port` and resolves once it listens. */
export function startBareServer(port: number): Promise<{ url: string; stop(): Promise<void>; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'bare-server.ts'), [String(port)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
    child.once('message', () =>
      resolve({
        url: `http://127.0.0.1:${port}`,
        child,
        stop: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      }),
    );
  });
}

/** CPU seconds a process has used so far (user + system), from /proc. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime in clock ticks (100 Hz)
}
