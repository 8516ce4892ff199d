// Load generator for bench/login.bench.ts, run as its own process so it does not share an event
// loop with the server under test: keep-alive sockets, `concurrency` requests always in flight, no
// think time. Prints one JSON line: requests, errors, duration, latency percentiles and its own CPU ms.
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

function once(): Promise<void> {
  const body = payloads[next++ % payloads.length];
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          if (res.statusCode !== 200) errors++;
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
}

async function main() {
  const started = Date.now();
  const deadline = started + job.durationMs;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (Date.now() < deadline) await once();
    }),
  );
  const durationMs = Date.now() - started;
  const { p50, p95, p99 } = summarize(latencies);
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(JSON.stringify({ requests: latencies.length, errors, statuses, durationMs, perSecond: (latencies.length / durationMs) * 1000, p50, p95, p99, cpuMs }) + '\n');
  agent.destroy();
}

void main();
