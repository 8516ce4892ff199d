import { promises as fs } from 'node:fs';
import path from 'node:path';

export class WalLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(`WAL ${dir} is already open for writing by process ${pid}; each log has one writer (give this process its own WAL_NAME)`);
    this.name = 'WalLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One writer per log: an exclusive-create lock file holding the owner's pid. A lock left by a
 * process that no longer exists (SIGKILL) is taken over.
 */
export async function acquireWriterLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, 'writer.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && alive(pid)) throw new WalLockedError(dir, pid);
      await fs.rm(file, { force: true });
    }
  }
  throw new Error(`could not take the writer lock ${file}`);
}
