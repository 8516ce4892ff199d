// Prisma 7 CLI configuration (read by `prisma generate`, `prisma migrate ...`).
// The datasource URL is no longer in schema.prisma; it comes from DATABASE_URL here.
import path from 'node:path';
import { defineConfig } from 'prisma/config';

const DEFAULT_DATABASE_URL = 'postgresql://usersys:usersys@127.0.0.1:5432/usersys';

// The CLI makes sure the native schema-engine binary is downloaded before `generate`, `validate` and `format`
// even though those never run it (the client is Rust-free), so they fail offline. Pointing
// PRISMA_SCHEMA_ENGINE_BINARY at a placeholder skips that download for these commands only; `migrate`/`db`
// keep the normal behaviour (tools/migrate.ts uses the WASM engine when no binary is available).
const ENGINE_FREE_COMMANDS = ['generate', 'validate', 'format'];
if (
  !process.env.PRISMA_SCHEMA_ENGINE_BINARY &&
  process.argv.slice(2).some((arg) => ENGINE_FREE_COMMANDS.includes(arg))
) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(__dirname, 'prisma', 'no-schema-engine.sh');
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL || DEFAULT_DATABASE_URL },
});
