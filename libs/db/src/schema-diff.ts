import { ensureDatabaseExists } from './connection';
import { REPO_ROOT } from './paths';
import { readSchemaFiles } from './migrate';
import { runSchemaEngine } from './schema-engine';

export interface SchemaDiffResult {
  /** True when the live database already matches the Prisma schema (no migration step needed). */
  inSync: boolean;
  /** SQL that would bring the database to the schema ("-- This is an empty migration." when in sync). */
  script: string;
}

/**
 * Compares the live database at `databaseUrl` with prisma/schema.prisma using the schema engine's `diff`
 * (what `prisma migrate diff --from-config-datasource --to-schema prisma/schema.prisma --script --exit-code` does).
 * Prisma's own `_prisma_migrations` table is ignored by the engine.
 */
export async function diffDatabaseAgainstSchema(
  databaseUrl: string,
  opts: { schemaPath?: string } = {},
): Promise<SchemaDiffResult> {
  await ensureDatabaseExists(databaseUrl, { create: false }); // clear error if unreachable
  const files = readSchemaFiles(opts.schemaPath);
  const res = await runSchemaEngine(
    databaseUrl,
    'diff',
    {
      // "schemaDatasource" = the database the engine is connected to (through the adapter).
      from: { tag: 'schemaDatasource', files, configDir: REPO_ROOT },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: true, // engine answers 0 = no difference, 2 = difference
      filters: { externalTables: [], externalEnums: [] },
    },
    files.map((f) => [f.path, f.content]),
  );
  return { inSync: res.exitCode === 0, script: res.stdout ?? '' };
}
