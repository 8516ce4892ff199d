import { promises as fs } from 'node:fs';
import path from 'node:path';

const SEGMENT = /^seg-(\d{12})\.wal$/;

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

/** mkdir -p that makes each directory it creates durable in its parent. */
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
  await fs.mkdir(absolute, { recursive: true });
  for (const d of missing) await fsyncDir(path.dirname(d));
}
