import { readFileSync } from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';

/** A run's identity: a name prefix and a phone-number base, so sign-ups never repeat across runs. */
export function newRunIdentity() {
  return { prefix: randomUUID().replace(/-/g, '').slice(0, 6), phoneBase: 100_000_000 + Math.floor(Math.random() * 890_000_000) };
}

/** The n-th sign-up of a run: username, email and phone all unique. */
export function signUpOf(run: { prefix: string; phoneBase: number }, n: number) {
  const id = `${run.prefix}${n.toString(36)}`;
  return { username: `b_${id}`, password: `pw-${id}-secret`, email: `${id}@bench.example`, phone: `+4916${run.phoneBase + n}` };
}

export interface LoadResult {
  /** Next unused sign-up number. */
  next: number;
  accepted: number;
  failed: Record<string, number>;
  /** Latency of each accepted request, ms. */
  latencies: number[];
  seconds: number;
}

/**
 * Closed-loop load: `concurrency` workers, each sending its next create as soon as the previous
 * one answered (no think time), for `seconds`. Keep-alive sockets, one per worker, so the load
 * generator stays cheap next to the service on a small machine.
 */
export async function runCreateLoad(options: { url: string; token: string; concurrency: number; seconds: number; run: { prefix: string; phoneBase: number }; first: number }): Promise<LoadResult> {
  const target = new URL('/internal/users', options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const failed: Record<string, number> = {};
  let counter = options.first;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  const send = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-internal-token': options.token, 'x-caller-role': 'anonymous' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const worker = async () => {
    while (performance.now() < deadline) {
      const body = JSON.stringify(signUpOf(options.run, counter++));
      const t0 = performance.now();
      const status = await send(body).catch(() => 0);
      const ms = performance.now() - t0;
      if (status === 202) latencies.push(ms);
      else failed[String(status)] = (failed[String(status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { next: counter, accepted: latencies.length, failed, latencies, seconds };
}

/**
 * Sum and count per step of user_command_step_duration_seconds (outcome ok), from /metrics text;
 * the time of a hash inside a worker (user_command_bcrypt_hash_seconds) as step "hashInWorker".
 */
export async function scrapeSteps(url: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const steps = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const h = /^user_command_bcrypt_hash_seconds_(sum|count)\{[^}]*\} (\S+)$/.exec(line);
    if (h) {
      const entry = steps.get('hashInWorker') ?? { sum: 0, count: 0 };
      entry[h[1] as 'sum' | 'count'] = Number(h[2]);
      steps.set('hashInWorker', entry);
      continue;
    }
    const m = /^user_command_step_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || !m[2].includes('outcome="ok"')) continue;
    const step = /step="([^"]+)"/.exec(m[2])![1];
    const entry = steps.get(step) ?? { sum: 0, count: 0 };
    entry[m[1] as 'sum' | 'count'] = Number(m[3]);
    steps.set(step, entry);
  }
  return steps;
}

/** Mean ms per step between two scrapes. */
export function stepMeans(before: Map<string, { sum: number; count: number }>, after: Map<string, { sum: number; count: number }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [step, a] of after) {
    const b = before.get(step) ?? { sum: 0, count: 0 };
    const count = a.count - b.count;
    if (count > 0) out[step] = ((a.sum - b.sum) / count) * 1000;
  }
  return out;
}

/** CPU time (user + system, all threads) a process has used so far, ms, from /proc (Linux). */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
