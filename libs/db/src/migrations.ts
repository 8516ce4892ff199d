// Tooling entry @usersys/db/migrations: migrations, schema diff and connection helpers. Nothing here
// loads the generated Prisma client, so tools/migrate.ts and test databases work before `prisma generate`.
export {
  applyMigrations,
  listMigrations,
  findSchemaEngineBinary,
  deployWithPrismaCli,
  type ApplyMigrationsResult,
  type MigrationPaths,
} from './migrate';
export { diffDatabaseAgainstSchema, type SchemaDiffResult } from './schema-diff';
export { DatabaseUnreachableError, ensureDatabaseExists, redactUrl } from './connection';
export { SchemaEngineError } from './schema-engine';
export { DEFAULT_DATABASE_URL, DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH } from './paths';
