import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE, pruneSegments, segmentName, WalWriter, writeCheckpoint } from './index';

// WAL files hold bcrypt hashes, emails and phone numbers: 0600 files in 0700 directories, even under
// a permissive umask (set to 0 here, so nothing but the library's own modes decides).
const mode = async (file: string) => (await fs.stat(file)).mode & 0o777;

describe('file modes at rest', () => {
  let umask: number;
  let root: string;
  beforeEach(async () => {
    umask = process.umask(0);
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'wal-modes-'));
  });
  afterEach(async () => {
    process.umask(umask);
    await fs.rm(root, { recursive: true, force: true });
  });

  it('creates directories 0700 and segments, lock and checkpoint 0600', async () => {
    const dir = path.join(root, 'wal', 'user-command');
    const writer = await WalWriter.open(dir, { segmentBytes: 64 });
    for (let i = 0; i < 5; i++) await writer.append(Buffer.alloc(40, i)); // > 1 segment: rotation too
    expect(await mode(path.join(root, 'wal'))).toBe(0o700);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(path.join(dir, LOCK_FILE))).toBe(0o600);
    const segments = (await fs.readdir(dir)).filter((n) => n.endsWith('.wal'));
    expect(segments.length).toBeGreaterThan(1);
    for (const name of segments) expect(await mode(path.join(dir, name))).toBe(0o600);
    const end = writer.position;
    await writer.close();

    await writeCheckpoint(dir, end);
    expect(await mode(path.join(dir, 'checkpoint.json'))).toBe(0o600);
    const archive = path.join(root, 'archive');
    expect(await pruneSegments(dir, end, { archiveDir: archive })).toBeGreaterThan(0);
    expect(await mode(archive)).toBe(0o700);
    for (const name of await fs.readdir(archive)) expect(await mode(path.join(archive, name))).toBe(0o600);
  });

  it('tightens what an older version left behind: the log directory, its newest segment, a checkpoint temp file', async () => {
    const dir = path.join(root, 'old');
    await fs.mkdir(dir, { mode: 0o755 });
    await fs.writeFile(path.join(dir, segmentName(1)), '', { mode: 0o644 });
    await fs.writeFile(path.join(dir, 'checkpoint.json.tmp'), '', { mode: 0o644 });
    expect(await mode(dir)).toBe(0o755);

    const writer = await WalWriter.open(dir);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(path.join(dir, segmentName(1)))).toBe(0o600);
    await writeCheckpoint(dir, writer.position);
    expect(await mode(path.join(dir, 'checkpoint.json'))).toBe(0o600);
    await writer.close();
  });
});
