import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FILE_MODE, fsyncDir } from './files';

/** A place in the log: the byte offset just after the last record Kafka acknowledged. */
export interface WalPosition {
  segment: number;
  offset: number;
}

export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.segment === b.segment ? a.offset - b.offset : a.segment - b.segment;
}

const FILE = 'checkpoint.json';

export async function readCheckpoint(dir: string): Promise<WalPosition | null> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, FILE), 'utf8')) as WalPosition;
    if (Number.isInteger(parsed.segment) && Number.isInteger(parsed.offset)) return parsed;
    return null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Write-to-temp, fsync, rename, fsync dir: a crash leaves the old or the new checkpoint, never half of one. */
export async function writeCheckpoint(dir: string, position: WalPosition): Promise<void> {
  const tmp = path.join(dir, `${FILE}.tmp`);
  const handle = await fs.open(tmp, 'w', FILE_MODE);
  try {
    await handle.chmod(FILE_MODE); // open's mode applies only to a new file, not to a temp file a crash left behind
    await handle.writeFile(JSON.stringify(position));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, path.join(dir, FILE));
  await fsyncDir(dir);
}
