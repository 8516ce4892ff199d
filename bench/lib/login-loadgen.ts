// Load generator for bench/login.bench.ts, run as its own process so it does not share an event
// loop with the server under test: keep-alive sockets, `concurrency` clients, no think time, except
// that a client refused with 503 + Retry-After waits what it was told (as a real client does: one
// that retried at once would only measure how fast the server can say no). Prints one JSON line:
// requests, errors, refused, duration, logins/s (200s only), latency percentiles of the 200s and its own CPU ms.
import { summarize } from '@usersys/load-suite';
import http from 'node:http';

interface Job {
  url: string;
  bodies: string[];
  concurrency: number;
  durationMs: number;
}

const job = JSON.parse(process.argv[2]) as Job;
const target = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
const payloads = job.bodies.map((b) => Buffer.from(b));
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let next = 0;
let errors = 0;
let refused = 0;
let succeeded = 0;

/** Resolves with the seconds a 503's Retry-After asks to wait (0 otherwise). */
function once(): Promise<number> {
  const body = payloads[next++ % payloads.length];
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          if (res.statusCode === 200) {
            succeeded++;
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          } else errors++;
          const retryAfter = res.statusCode === 503 ? Number(res.headers['retry-after']) || 0 : 0;
          if (retryAfter > 0) refused++;
          resolve(retryAfter);
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve(0);
    });
    req.end(body);
  });
}

async function main() {
  const started = Date.now();
  const deadline = started + job.durationMs;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (Date.now() < deadline) {
        const waitS = await once();
        if (waitS > 0) await new Promise((r) => setTimeout(r, Math.min(waitS * 1000, Math.max(0, deadline - Date.now()))));
      }
    }),
  );
  const durationMs = Date.now() - started;
  const { p50, p95, p99 } = summarize(latencies);
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(JSON.stringify({ requests: succeeded + errors, errors, refused, statuses, durationMs, perSecond: (succeeded / durationMs) * 1000, p50, p95, p99, cpuMs }) + '\n');
  agent.destroy();
}

void main();
