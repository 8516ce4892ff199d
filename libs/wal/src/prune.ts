import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { WalPosition } from './checkpoint';
import { ensureDir, fsyncDir, listSegments, segmentName, segmentPath } from './files';

export interface PruneOptions {
  /** Move acknowledged segments here instead of deleting them. */
  archiveDir?: string;
}

/**
 * Deletes (or archives) segments that lie wholly before the checkpoint: every record in them is
 * acknowledged. The directory is fsynced afterwards so a crash cannot bring a removed segment back
 * behind a checkpoint that already moved past it (it would only be resent, but needlessly).
 */
export async function pruneSegments(dir: string, checkpoint: WalPosition, options: PruneOptions = {}): Promise<number> {
  const old = (await listSegments(dir)).filter((s) => s < checkpoint.segment);
  if (old.length === 0) return 0;
  if (options.archiveDir) {
    await ensureDir(options.archiveDir);
    for (const seq of old) await fs.rename(segmentPath(dir, seq), path.join(options.archiveDir, segmentName(seq)));
    await fsyncDir(options.archiveDir);
  } else {
    for (const seq of old) await fs.rm(segmentPath(dir, seq), { force: true });
  }
  await fsyncDir(dir);
  return old.length;
}
