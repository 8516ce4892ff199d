import { promises as fs } from 'node:fs';
import path from 'node:path';

const SEGMENT = /^seg-(\d{12})\.wal$/;

/**
 * WAL files hold bcrypt hashes, emails and phone numbers: only the owner (the writer and the relay
 * run as the same user) may read them, whatever the process umask.
 */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(12, '0')}.wal`;
}

export function segmentPath(dir: string, seq: number): string {
  return path.join(dir, segmentName(seq));
}

/** Segment sequence numbers present in `dir`, ascending. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names
    .map((n) => SEGMENT.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Creating, renaming or deleting a file is durable only once its directory is fsynced. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * mkdir -p that makes each directory it creates durable in its parent. Directories it creates are
 * 0700, and `dir` itself is made 0700 if it existed (older logs were 0755; that also closes the
 * 0644 files inside them). Existing parents are left alone: they may be shared (e.g. /tmp).
 */
export async function ensureDir(dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let d = absolute; ; d = path.dirname(d)) {
    try {
      await fs.stat(d);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) throw err;
      missing.unshift(d);
    }
  }
  await fs.mkdir(absolute, { recursive: true, mode: DIR_MODE }); // the umask can only take bits away
  await fs.chmod(absolute, DIR_MODE);
  for (const d of missing) await fsyncDir(path.dirname(d));
}
