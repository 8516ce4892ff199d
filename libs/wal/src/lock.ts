import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILE_MODE, fsyncDir } from './files';

export class WalLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
    readonly holderHost: string,
  ) {
    super(
      `WAL ${dir} is already open for writing by process ${holderPid} on ${holderHost} (lock file ${path.join(dir, LOCK_FILE)}); ` +
        'each log has exactly one writer: give every writing process its own directory (user-command: WAL_NAME, auth-gateway: AUDIT_WAL_NAME)',
    );
    this.name = 'WalLockedError';
  }
}

export const LOCK_FILE = 'writer.lock';

interface LockOwner {
  pid: number;
  host: string;
  /** Kernel start time of the process (Linux), so a recycled pid is not mistaken for the owner. */
  started: string | null;
}

/** Locks held by this process, so a lock file naming our own pid is only ours if we took it. */
const heldHere = new Set<string>();

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields are counted after the command name, which may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid)) return owner;
  } catch {
    // older plain-pid lock files
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0) return { pid, host: os.hostname(), started: null };
  }
  return null;
}

/** Whether the lock's owner may still be writing. Another host's owner cannot be checked: assume alive. */
function ownerAlive(file: string, owner: LockOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  if (owner.pid === process.pid) return heldHere.has(file);
  if (!pidAlive(owner.pid)) return false;
  const started = processStart(owner.pid);
  return owner.started === null || started === null || owner.started === started;
}

/**
 * One writer per log. The lock file (pid, host, process start time) is created atomically with
 * link(2), so two starting processes cannot both win; a lock left behind by a process that no
 * longer runs (SIGKILL, container restart reusing the pid) is taken over.
 */
export async function acquireWriterLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: os.hostname(), started: processStart(process.pid) };
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, JSON.stringify(me), { mode: FILE_MODE });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fs.link(tmp, file);
        heldHere.add(file);
        await fsyncDir(dir);
        return async () => {
          heldHere.delete(file);
          await fs.rm(file, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = await fs.readFile(file, 'utf8').catch(() => null);
      if (text === null) continue; // released meanwhile
      const owner = parseOwner(text);
      if (owner && ownerAlive(file, owner)) throw new WalLockedError(dir, owner.pid, owner.host);
      // Stale: move it aside, then make sure what we moved is the stale lock we judged, not a
      // fresh one another process took in between (give that one back).
      const aside = `${file}.stale.${randomBytes(4).toString('hex')}`;
      try {
        await fs.rename(file, aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const moved = await fs.readFile(aside, 'utf8');
      if (moved !== text) {
        await fs.link(aside, file).catch(() => undefined);
        await fs.rm(aside, { force: true });
        const other = parseOwner(moved);
        throw new WalLockedError(dir, other?.pid ?? -1, other?.host ?? 'unknown');
      }
      await fs.rm(aside, { force: true });
    }
    throw new Error(`could not take the WAL writer lock ${file}`);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
