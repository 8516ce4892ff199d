import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WalReader } from './reader';
import { WalWriter } from './writer';
import { expectedPayload, idOf } from './testing/crash-payload';

const REPO = path.resolve(__dirname, '../../..');
const CHILD = path.join(__dirname, 'testing/crash-appender.ts');
const ROUNDS = 25;

/** Runs the appender child, SIGKILLs it at a random moment, and returns the ids it saw resolve. */
function crashRound(dir: string, run: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, `r${run}`, '64'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Most rounds die while appending; every fourth dies at once, possibly inside recovery.
      if (!killTimer && out.startsWith('ready')) killTimer = setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 300);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    if (run % 4 === 3) killTimer = setTimeout(() => child.kill('SIGKILL'), 150 + Math.random() * 400);
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL') return reject(new Error(`appender exited with ${code}: ${err}`));
      const lines = out.split('\n');
      lines.pop(); // a line cut short by the kill
      resolve(lines.filter((l) => l !== 'ready'));
    });
  });
}

describe('WAL crash safety (real filesystem, SIGKILL at random points)', () => {
  jest.setTimeout(180_000);

  it('keeps every resolved append exactly once and never returns a corrupt record', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wal-crash-'));
    const acked = new Set<string>();
    for (let run = 0; run < ROUNDS; run++) for (const id of await crashRound(dir, run)) acked.add(id);

    // Recovery by the next writer (the lock of the killed one is stale), then read everything.
    const writer = await WalWriter.open(dir);
    await writer.append(expectedPayload('final-0'));
    await writer.close();
    const reader = new WalReader(dir, null);
    const seen = new Map<string, number>();
    for (;;) {
      const batch = await reader.read(10_000, 4 * 1024 * 1024);
      if (batch.length === 0) break;
      for (const record of batch) {
        const id = idOf(record.payload);
        expect(record.payload.equals(expectedPayload(id))).toBe(true);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    await reader.close();

    expect(acked.size).toBeGreaterThan(ROUNDS * 10);
    const missing = [...acked].filter((id) => !seen.has(id));
    const duplicated = [...seen].filter(([, n]) => n > 1);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(seen.get('final-0')).toBe(1);
    await fs.rm(dir, { recursive: true, force: true });
  });
});
