import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastLogLine, startProgress } from './proc';

// The progress lines of slow set-up steps: what, how long so far, how far, where the log is.
describe('progress lines', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'progress-'));
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what runs, for how long, how far and where its log is, until stopped', () => {
    const log = path.join(dir, 'build.log');
    writeFileSync(log, 'compiling a\ncompiling b\n\n');
    const lines: string[] = [];
    const stop = startProgress({ say: (l) => lines.push(l), what: 'jaeger    building Jaeger', logFile: log }, 1000);
    jest.advanceTimersByTime(2000);
    stop();
    jest.advanceTimersByTime(5000);
    expect(lines).toEqual([`jaeger    building Jaeger: 1s so far, compiling b (log: ${log})`, `jaeger    building Jaeger: 2s so far, compiling b (log: ${log})`]);
  });

  it('prefers a measured how-far over the log line, and works without a log', () => {
    const lines: string[] = [];
    let jars = 3;
    const stop = startProgress({ say: (l) => lines.push(l), what: 'kafka     fetching jars', howFar: () => `${jars++} jars so far` }, 1000);
    jest.advanceTimersByTime(2000);
    stop();
    expect(lines).toEqual(['kafka     fetching jars: 1s so far, 3 jars so far', 'kafka     fetching jars: 2s so far, 4 jars so far']);
  });

  it('is silent without a progress description', () => {
    const stop = startProgress(undefined, 1000);
    expect(jest.getTimerCount()).toBe(0);
    stop();
  });

  it('reads the last line of a log, shortened, and nothing of a missing one', () => {
    const log = path.join(dir, 'a.log');
    writeFileSync(log, `first\n${'x'.repeat(300)}\n`);
    expect(lastLogLine(log)).toBe(`${'x'.repeat(97)}...`);
    expect(lastLogLine(path.join(dir, 'missing.log'))).toBe('');
  });
});
