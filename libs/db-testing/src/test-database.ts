import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '@usersys/db/migrations';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://usersys:usersys@127.0.0.1:5432/usersys_test';

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database (terminating leftover connections). */
  drop(): Promise<void>;
}

async function adminQuery(baseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Ends this role's sessions on the database, then a plain DROP. Not `WITH (FORCE)`: FORCE also
 * insists on ending processes of other roles, such as an autovacuum worker busy with the freshly
 * migrated tables, and refuses (42501) for lack of pg_signal_backend; a plain DROP stops autovacuum
 * itself. A session still going away (55006, "being accessed by other users") is waited for.
 */
async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(baseUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND usename = current_user AND pid <> pg_backend_pid()`);
      return await adminQuery(baseUrl, `DROP DATABASE IF EXISTS "${name}"`);
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Creates a throw-away database `usersys_test_<random>` next to the one in `baseUrl` (default: $DATABASE_URL,
 * else the usersys_test database on 127.0.0.1:5432; the role needs CREATEDB), optionally migrated.
 * Tests use one each, so they never collide.
 */
export async function createTestDatabase(
  opts: { baseUrl?: string; migrate?: boolean } = {},
): Promise<TestDatabase> {
  const baseUrl = opts.baseUrl ?? process.env.DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const name = `usersys_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE DATABASE "${name}"`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const db: TestDatabase = {
    name,
    url: u.toString(),
    drop: () => dropDatabase(baseUrl, name),
  };
  if (opts.migrate) {
    try {
      await applyMigrations(db.url);
    } catch (err) {
      await db.drop().catch(() => {});
      throw err;
    }
  }
  return db;
}
