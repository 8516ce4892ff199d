import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export interface LogLine {
  file: string;
  time: string;
  service: string;
  level: string | number;
  msg: string;
  raw: Record<string, unknown>;
}

/** Every *.log under the given directories (one level deep, e.g. .data/logs and .data/logs/e2e). */
export function logFiles(dirs: string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (name.endsWith('.log') && statSync(full).isFile()) files.push(full);
      else if (statSync(full).isDirectory()) for (const inner of readdirSync(full)) if (inner.endsWith('.log')) files.push(path.join(full, inner));
    }
  }
  return files;
}

/** The services' JSON log lines that carry this trace id, in time order. */
export async function linesForTrace(traceId: string, files: string[]): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for (const file of files) {
    const rl = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line.includes(traceId)) continue; // cheap pre-filter before parsing
      try {
        const raw = JSON.parse(line) as Record<string, unknown>;
        if (raw.trace_id !== traceId) continue;
        out.push({ file, time: String(raw.time ?? ''), service: String(raw.service ?? path.basename(file, '.log')), level: (raw.level as string) ?? '', msg: String(raw.msg ?? ''), raw });
      } catch {
        // not a JSON line (e.g. a stack trace continuation): skip
      }
    }
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

const SKIP = new Set(['time', 'service', 'level', 'msg', 'trace_id', 'span_id', 'pid', 'hostname']);

export function renderLogLine(l: LogLine): string {
  const extra = Object.entries(l.raw)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${l.time} ${l.service.padEnd(13)} ${String(l.level).padEnd(5)} ${l.msg}${extra ? `  ${extra}` : ''}`;
}
