import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import { ensureDatabaseExists } from './connection';
import { DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH, REPO_ROOT } from './paths';
import { runSchemaEngine } from './schema-engine';

export interface MigrationPaths {
  /** Default: prisma/schema.prisma */
  schemaPath?: string;
  /** Default: prisma/migrations */
  migrationsDir?: string;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations applied by this call (empty = database was already up to date). */
  applied: string[];
  /** True if the database itself did not exist and was created. */
  databaseCreated: boolean;
}

/** Reads prisma/migrations exactly like the Prisma CLI does before calling the engine. */
export function listMigrations(migrationsDir = DEFAULT_MIGRATIONS_DIR): MigrationList {
  const lockPath = path.join(migrationsDir, 'migration_lock.toml');
  const dirs = fs.existsSync(migrationsDir)
    ? fs
        .readdirSync(migrationsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort((a, b) => a.localeCompare(b))
    : [];
  return {
    baseDir: migrationsDir,
    lockfile: {
      path: 'migration_lock.toml',
      content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, 'utf8') : null,
    },
    shadowDbInitScript: '',
    migrationDirectories: dirs.map((dir) => {
      const file = path.join(migrationsDir, dir, 'migration.sql');
      let content: { tag: 'ok'; value: string } | { tag: 'error'; value: string };
      try {
        content = { tag: 'ok', value: fs.readFileSync(file, 'utf8') };
      } catch (err) {
        content = { tag: 'error', value: (err as Error).message };
      }
      return { path: dir, migrationFile: { path: 'migration.sql', content } };
    }),
  };
}

export function readSchemaFiles(schemaPath = DEFAULT_SCHEMA_PATH): { path: string; content: string }[] {
  return [{ path: schemaPath, content: fs.readFileSync(schemaPath, 'utf8') }];
}

/**
 * Applies pending migrations with Prisma's WASM schema engine (no binary needed). Same engine code as
 * `prisma migrate deploy`: takes the advisory lock, records every migration in `_prisma_migrations`
 * (checksum = sha256 of migration.sql), so the two ways are interchangeable. Idempotent.
 * Throws DatabaseUnreachableError (one line, names DATABASE_URL) if the server can't be reached.
 */
export async function applyMigrations(databaseUrl: string, paths: MigrationPaths = {}): Promise<ApplyMigrationsResult> {
  const databaseCreated = await ensureDatabaseExists(databaseUrl);
  const files = readSchemaFiles(paths.schemaPath);
  const { appliedMigrationNames } = await runSchemaEngine(
    databaseUrl,
    'applyMigrations',
    { migrationsList: listMigrations(paths.migrationsDir), filters: { externalTables: [], externalEnums: [] } },
    files.map((f) => [f.path, f.content]),
  );
  return { applied: appliedMigrationNames, databaseCreated };
}

/**
 * Finds a usable native schema-engine binary, the way the Prisma CLI would use it, without any download:
 * PRISMA_SCHEMA_ENGINE_BINARY (or legacy PRISMA_MIGRATION_ENGINE_BINARY), else a previously downloaded
 * node_modules/@prisma/engines/schema-engine-<platform> whose `--version` matches @prisma/engines-version
 * (otherwise the CLI would try to re-download it). Cheap: a stat when nothing is there, one `--version` otherwise.
 */
export function findSchemaEngineBinary(): string | null {
  const fromEnv = process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.env.PRISMA_MIGRATION_ENGINE_BINARY;
  let candidates: string[];
  let expectedVersion: string | undefined;
  if (fromEnv) {
    candidates = [path.resolve(REPO_ROOT, fromEnv)];
  } else {
    try {
      const prismaDir = path.dirname(require.resolve('prisma/package.json'));
      const enginesDir = path.dirname(require.resolve('@prisma/engines/package.json', { paths: [prismaDir] }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time from prisma's own tree
      expectedVersion = (require(require.resolve('@prisma/engines-version', { paths: [enginesDir] })) as {
        enginesVersion: string;
      }).enginesVersion;
      candidates = fs
        .readdirSync(enginesDir)
        .filter((f) => f.startsWith('schema-engine-') && !/\.(sha256|gz|tmp)$/.test(f))
        .map((f) => path.join(enginesDir, f));
    } catch {
      return null;
    }
  }
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      const out = execFileSync(file, ['--version'], { timeout: 5_000, encoding: 'utf8', stdio: 'pipe' });
      if (!expectedVersion || out.includes(expectedVersion)) return file;
    } catch {
      // not executable / wrong platform: not usable
    }
  }
  return null;
}

/** Runs `prisma migrate deploy` (native schema engine) against databaseUrl; output goes to our stdout/stderr. */
export function deployWithPrismaCli(databaseUrl: string, schemaEngineBinary?: string): void {
  const cli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl }; // prisma.config.ts reads DATABASE_URL
  if (schemaEngineBinary) env.PRISMA_SCHEMA_ENGINE_BINARY = schemaEngineBinary;
  const res = spawnSync(process.execPath, [cli, 'migrate', 'deploy'], { cwd: REPO_ROOT, env, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`prisma migrate deploy failed (exit ${res.status ?? res.signal})`);
}
