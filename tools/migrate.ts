// Applies pending Prisma migrations (prisma/migrations) to the database.
//
//   node --import tsx tools/migrate.ts [--database-url URL] [--engine auto|binary|wasm]
//
// URL: --database-url, else $DATABASE_URL, else postgresql://usersys:usersys@127.0.0.1:5432/usersys.
// --engine auto (default): `prisma migrate deploy` if a native schema-engine binary is already available
// (PRISMA_SCHEMA_ENGINE_BINARY, or downloaded into node_modules/@prisma/engines with the right version),
// otherwise Prisma's WASM schema engine over @prisma/adapter-pg. Both are the same engine code and record
// migrations in `_prisma_migrations`, so either sees a database migrated by the other as up to date.
// Exit codes: 0 ok, 1 failure (one-line message on stderr), 2 bad usage.
// Imports the db lib's tooling entry (not its index), which does not load the generated Prisma client,
// so this works before `prisma generate`.
import {
  applyMigrations,
  DatabaseUnreachableError,
  DEFAULT_DATABASE_URL,
  deployWithPrismaCli,
  ensureDatabaseExists,
  findSchemaEngineBinary,
  listMigrations,
  redactUrl,
} from '@usersys/db/migrations';
import { parseCli, usageError } from './cli';

const USAGE = `usage: node --import tsx tools/migrate.ts [--database-url URL] [--engine auto|binary|wasm]
Applies pending Prisma migrations (prisma/migrations); npm start and npm test run it for you.
  --database-url URL  default $DATABASE_URL, else ${DEFAULT_DATABASE_URL.replace(/:[^:@/]+@/, ':***@')}
  --engine auto       prisma migrate deploy when a schema-engine binary is available, else the WASM engine
  --engine binary     only the native schema-engine binary (PRISMA_SCHEMA_ENGINE_BINARY)
  --engine wasm       only Prisma's WASM schema engine over @prisma/adapter-pg
Exit codes: 0 ok, 1 failure (one line on stderr), 2 bad usage.`;

async function main(): Promise<void> {
  const { values } = parseCli('migrate', USAGE, {
    'database-url': { type: 'string' },
    engine: { type: 'string', default: 'auto' },
  });
  const databaseUrl = values['database-url'] || process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const engine = values.engine;
  if (!['auto', 'binary', 'wasm'].includes(engine ?? '')) usageError('migrate', `--engine must be auto, binary or wasm (got "${engine}")`, USAGE);

  const binary = engine === 'wasm' ? null : findSchemaEngineBinary();
  if (engine === 'binary' && !binary) {
    throw new Error('--engine binary: no working schema-engine binary (set PRISMA_SCHEMA_ENGINE_BINARY)');
  }

  if (binary) {
    console.log(`migrate: ${redactUrl(databaseUrl)} via prisma migrate deploy (schema-engine ${binary})`);
    await ensureDatabaseExists(databaseUrl); // same one-line error as the WASM path when unreachable
    deployWithPrismaCli(databaseUrl, binary);
    return;
  }

  const found = listMigrations().migrationDirectories.length;
  console.log(`migrate: ${redactUrl(databaseUrl)} via WASM schema engine, ${found} migration(s) in prisma/migrations`);
  const { applied, databaseCreated } = await applyMigrations(databaseUrl);
  if (databaseCreated) console.log('migrate: database did not exist and was created');
  if (applied.length === 0) console.log('migrate: no pending migrations to apply (database is up to date)');
  else console.log(`migrate: applied ${applied.length} migration(s): ${applied.join(', ')}`);
}

main().then(
  () => process.exit(0), // explicit: don't wait for stray handles
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(err instanceof DatabaseUnreachableError ? `migrate: ${msg}` : `migrate: failed: ${msg}`);
    process.exit(1);
  },
);
