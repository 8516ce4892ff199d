/**
 * CPU time per process, from /proc (Linux), for the CPU-ms-per-operation rows of every benchmark.
 *
 * On a shared, noisy machine, throughput moves from run to run; the CPU a process spends per
 * operation hardly does, and it is what sizing needs. A benchmark names the processes it cares
 * about (its services, PostgreSQL, Redis, Kafka, Jaeger, its own load generator), measures their
 * idle rate first (the same run's baseline), reads them before and after its load, waits until the
 * processes are quiet again (Jaeger ingests spans after the services export them, and the services
 * export in batches after the requests ended), and reports (after − before − idle rate × elapsed) ÷
 * operations for each process and for the sum.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { median } from '@usersys/load-suite';
import type { Figure } from './report';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
const MS_PER_TICK = 1000 / TICKS_PER_SECOND;

export interface ProcessTimes {
  pid: number;
  ppid: number;
  /** utime + stime: every thread of the process, ticks */
  self: number;
  /** cutime + cstime: children it has waited for (reaped), ticks */
  reapedChildren: number;
}

/** Parses one /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function parseStat(line: string): ProcessTimes {
  const pid = Number(line.slice(0, line.indexOf(' ')));
  // fields after "pid (comm) ": state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
  const f = line.slice(line.lastIndexOf(') ') + 2).split(' ');
  return { pid, ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), reapedChildren: Number(f[13]) + Number(f[14]) };
}

function readTimes(pid: number): ProcessTimes | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone (a backend that just ended) or not ours to read
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** A process to measure. `withChildren`: add its live children and the ones it reaped (PostgreSQL's backends). */
export interface MeasuredProcess {
  name: string;
  pid: number;
  withChildren?: boolean;
}

/** CPU ms a process (and, if asked, its children, live and reaped) has used so far; NaN if it is gone. */
export function cpuMsOf(p: MeasuredProcess): number {
  const own = readTimes(p.pid);
  if (!own) return NaN;
  let ticks = own.self;
  if (p.withChildren) {
    ticks += own.reapedChildren;
    for (const pid of allPids()) {
      const t = readTimes(pid);
      if (t && t.ppid === p.pid) ticks += t.self + t.reapedChildren;
    }
  }
  return ticks * MS_PER_TICK;
}

/** The pid of the process listening on TCP `port` (the parent if several share the socket), from /proc/net/tcp{,6}. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(cols[1].split(':')[1], 16) === port) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  const holders: number[] = [];
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1])) {
        holders.push(pid);
        break;
      }
    }
  }
  const set = new Set(holders);
  return holders.find((pid) => !set.has(readTimes(pid)?.ppid ?? -1)) ?? holders[0];
}

/** Port in a URL such as redis://u:p@127.0.0.1:6379 or postgresql://…:5432/db, or a host:port broker list. */
export function portOf(url: string, fallback: number): number {
  const m = /:(\d+)(?:[/?,]|$)/.exec(url.replace(/^[a-z]+:\/\/[^@/]*@/i, '//'));
  return m ? Number(m[1]) : fallback;
}

/**
 * The infrastructure processes behind the given endpoints: PostgreSQL's postmaster with its
 * backends, Redis, Kafka (broker) and Jaeger (its OTLP/HTTP receiver). One it cannot find (not
 * running here, another user's process) is left out with a line on stderr.
 */
export function infraProcesses(endpoints: { databaseUrl?: string; redisUrl?: string; kafkaBrokers?: string; jaegerOtlpPort?: number } = {}): MeasuredProcess[] {
  const env = process.env;
  const wanted: Array<{ name: string; port: number; withChildren?: boolean }> = [
    { name: 'postgresql', port: portOf(endpoints.databaseUrl ?? env.DATABASE_URL ?? '', 5432), withChildren: true },
    { name: 'redis', port: portOf(endpoints.redisUrl ?? env.REDIS_URL ?? '', 6379) },
    { name: 'kafka', port: portOf(endpoints.kafkaBrokers ?? env.KAFKA_BROKERS ?? '', 9092) },
    { name: 'jaeger', port: endpoints.jaegerOtlpPort ?? portOf(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '', 4318) },
  ];
  const found: MeasuredProcess[] = [];
  for (const w of wanted) {
    const pid = pidListeningOn(w.port);
    if (pid === undefined) process.stderr.write(`cpu: no process of ours listens on ${w.port} (${w.name}); left out of the CPU figures\n`);
    else found.push({ name: w.name, pid, withChildren: w.withChildren });
  }
  return found;
}

export type CpuReading = Map<string, number>;

export interface CpuPerOp {
  /** CPU-ms per operation for each process, idle baseline removed */
  perProcess: Record<string, number>;
  /** sum over the measured processes */
  total: number;
  /** sum over the processes named in `system` (services and infrastructure, not the load generator) */
  system: number;
  /** the processes summed in `system` */
  systemNames: string[];
}

/**
 * Reads a fixed set of processes together; measures their idle rate; waits until they are quiet.
 * Rates are CPU-ms per wall-clock second (1000 = one core busy).
 */
export class CpuSampler {
  private idle = new Map<string, number>();

  constructor(readonly processes: MeasuredProcess[]) {}

  read(): CpuReading {
    return new Map(this.processes.map((p) => [p.name, cpuMsOf(p)]));
  }

  /** Each process's CPU rate over `seconds` with no load: the baseline subtracted from every later delta. */
  async measureIdle(seconds: number): Promise<Record<string, number>> {
    const [r0, t0] = [this.read(), performance.now()];
    await sleep(seconds * 1000);
    const [r1, t1] = [this.read(), performance.now()];
    this.idle = rates(r0, r1, t1 - t0);
    return Object.fromEntries(this.idle);
  }

  idleRate(name: string): number {
    return this.idle.get(name) ?? 0;
  }

  /**
   * Waits until every process is back near its idle rate (span batches exported, Jaeger done
   * ingesting them, consumers caught up): at least `minMs`, then until two consecutive windows of
   * `windowMs` show no process above its idle rate + `slackCoreShare` of a core, at most `maxMs`.
   */
  async settle(options: { minMs?: number; windowMs?: number; maxMs?: number; slackCoreShare?: number; only?: string[] } = {}): Promise<number> {
    const { minMs = 2000, windowMs = 1000, maxMs = 30_000, slackCoreShare = 0.02, only } = options;
    const started = performance.now();
    await sleep(minMs);
    let quiet = 0;
    while (performance.now() - started < maxMs && quiet < 2) {
      const [r0, t0] = [this.read(), performance.now()];
      await sleep(windowMs);
      const now = rates(r0, this.read(), performance.now() - t0);
      const busy = [...now].some(([name, rate]) => (!only || only.includes(name)) && rate > this.idleRate(name) + slackCoreShare * 1000);
      quiet = busy ? 0 : quiet + 1;
    }
    return performance.now() - started;
  }

  /** CPU-ms per operation between two readings `elapsedMs` apart, each process's idle baseline removed. */
  perOp(before: CpuReading, after: CpuReading, elapsedMs: number, ops: number, system: string[] = this.processes.map((p) => p.name)): CpuPerOp {
    const perProcess: Record<string, number> = {};
    let total = 0;
    let sys = 0;
    for (const [name, a] of after) {
      const used = a - (before.get(name) ?? NaN) - this.idleRate(name) * (elapsedMs / 1000);
      if (!Number.isFinite(used)) continue;
      const v = Math.max(0, used) / Math.max(1, ops);
      perProcess[name] = v;
      total += v;
      if (system.includes(name)) sys += v;
    }
    return { perProcess, total, system: sys, systemNames: system.filter((name) => name in perProcess) };
  }

  /**
   * Runs `load`, then waits until the processes are quiet (see settle; `settleOn`: the processes
   * that must be, default all), and returns its result with the CPU-ms per operation of each process.
   */
  async around<T>(load: () => Promise<T>, ops: (result: T) => number, options: { settleOn?: string[]; system?: string[]; minSettleMs?: number } = {}): Promise<{ result: T; cpu: CpuPerOp; settleMs: number }> {
    const [r0, t0] = [this.read(), performance.now()];
    const result = await load();
    const settleMs = await this.settle({ only: options.settleOn, minMs: options.minSettleMs });
    const [r1, t1] = [this.read(), performance.now()];
    return { result, cpu: this.perOp(r0, r1, t1 - t0, ops(result), options.system), settleMs };
  }
}

/**
 * Figures from several runs' CPU per operation: one row per process of the system (median over the
 * runs), then their sum (services and infrastructure) with its target, if any.
 */
export function cpuFigures(label: string, runs: CpuPerOp[], config: string, systemTarget?: { text: string; maxMs: number }): Figure[] {
  const names = [...new Set(runs.flatMap((r) => r.systemNames))];
  const rows: Figure[] = names.map((name) => {
    const values = runs.map((r) => r.perProcess[name] ?? NaN);
    return { figure: `  ${label}: ${name} CPU per op`, unit: 'ms', value: median(values), runs: values, config, lowerIsBetter: true };
  });
  const system = runs.map((r) => r.system);
  const value = median(system);
  rows.push({
    figure: `  ${label}: whole-system CPU per op (services + infrastructure, idle baseline removed)`,
    unit: 'ms',
    value,
    runs: system,
    config,
    lowerIsBetter: true,
    ...(systemTarget ? { target: systemTarget.text, pass: value <= systemTarget.maxMs } : {}),
  });
  return rows;
}

/** CPU-ms per second of each process between two readings. */
export function rates(before: CpuReading, after: CpuReading, elapsedMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, a] of after) {
    const r = ((a - (before.get(name) ?? NaN)) / elapsedMs) * 1000;
    if (Number.isFinite(r)) out.set(name, r);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
