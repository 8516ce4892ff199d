import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DatabaseUnreachableError } from './connection';
import { applyMigrations, listMigrations } from './migrate';
import { DEFAULT_MIGRATIONS_DIR } from './paths';
import { diffDatabaseAgainstSchema } from './schema-diff';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';

const migrationNames = listMigrations().migrationDirectories.map((d) => d.path);

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migrations (WASM schema engine)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('applies every migration to a fresh database', async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    const res = await applyMigrations(db.url);
    expect(res.applied).toEqual(migrationNames);
  });

  it('the migrated database matches the Prisma schema', async () => {
    const diff = await diffDatabaseAgainstSchema(db.url);
    expect(diff.script).toBe('-- This is an empty migration.\n');
    expect(diff.inSync).toBe(true);
  });

  it('a second apply is a no-op', async () => {
    const res = await applyMigrations(db.url);
    expect(res).toEqual({ applied: [], databaseCreated: false });
  });

  it('records migrations in _prisma_migrations exactly like `prisma migrate deploy`', async () => {
    const rows = await query<{ migration_name: string; checksum: string; done: boolean; applied_steps_count: number }>(
      db.url,
      `SELECT migration_name, checksum, finished_at IS NOT NULL AND rolled_back_at IS NULL AS done, applied_steps_count
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      migrationNames.map((name) => ({
        migration_name: name,
        // Prisma's checksum: sha256 (hex) of migration.sql; a mismatch makes the CLI report an edited migration.
        checksum: createHash('sha256')
          .update(fs.readFileSync(path.join(DEFAULT_MIGRATIONS_DIR, name, 'migration.sql')))
          .digest('hex'),
        done: true,
        applied_steps_count: 1,
      })),
    );
  });

  it('the diff detects drift (so an empty diff means something)', async () => {
    await query(db.url, 'DROP INDEX users_email_key');
    const diff = await diffDatabaseAgainstSchema(db.url);
    expect(diff.inSync).toBe(false);
    expect(diff.script).toContain('CREATE UNIQUE INDEX "users_email_key" ON "users"("email")');
  });

  it('fails with a one-line error naming DATABASE_URL when the server is unreachable', async () => {
    const err = await applyMigrations('postgresql://usersys:secret@127.0.0.1:1/usersys').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnreachableError);
    expect((err as Error).message).toMatch(/^Cannot connect to the database at DATABASE_URL=postgresql:\/\/usersys:\*\*\*@127\.0\.0\.1:1\/usersys: /);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).not.toContain('secret');
  });
});
