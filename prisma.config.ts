// Prisma 7 CLI configuration (read by `prisma generate`, `prisma migrate ...`).
// The datasource URL is no longer in schema.prisma; it comes from DATABASE_URL here.
import { defineConfig } from 'prisma/config';

export const DEFAULT_DATABASE_URL = 'postgresql://usersys:usersys@127.0.0.1:5432/usersys';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL || DEFAULT_DATABASE_URL },
});
