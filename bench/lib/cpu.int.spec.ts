import { startPrivatePostgres, type PrivateService } from '@usersys/test-infra';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { cpuMsOf, parseStat, pidListeningOn } from './cpu';

// A private PostgreSQL: its backends come and go with their connections, and the benchmarks' CPU
// figure for PostgreSQL must keep what the ended ones used (the postmaster's cutime).
describe('PostgreSQL CPU from /proc', () => {
  let postgres: PrivateService;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
  }, 120_000);

  afterAll(async () => {
    await postgres?.destroy();
  });

  it('finds the postmaster by its port and keeps the CPU of backends that have ended', async () => {
    const postmaster = pidListeningOn(postgres.port)!;
    expect(postmaster).toBe(Number(readFileSync(path.join(postgres.dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]));
    const measured = { name: 'postgresql', pid: postmaster, withChildren: true };
    const before = cpuMsOf(measured);

    // Three connections, each a backend that burns CPU and then ends with its connection.
    let backendsMs = 0;
    for (let i = 0; i < 3; i++) {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query('SELECT count(*) FROM generate_series(1, 3000000)');
      backendsMs += parseStat(readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8')).self * 10;
      await client.end();
    }
    // the postmaster reaps an ended backend at once, but give it a moment on a loaded machine
    await new Promise((r) => setTimeout(r, 500));

    expect(backendsMs).toBeGreaterThan(100);
    expect(cpuMsOf(measured) - before).toBeGreaterThanOrEqual(backendsMs);
  }, 60_000);
});
