// Public API of @usersys/db. The Prisma client under ./generated is produced by `npx prisma generate`.
export { PrismaClient, Prisma, UserRole, UserState } from './generated/prisma/client';
export type { User, ProcessedEvent, LoginAudit } from './generated/prisma/client';
export { createPrismaClient, type CreatePrismaClientOptions } from './client';
export { uniqueViolationFields } from './errors';
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
export { createTestDatabase, type TestDatabase } from './test-database';
