import path from 'node:path';

/** Repository root (libs/db/src → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEFAULT_SCHEMA_PATH = path.join(REPO_ROOT, 'prisma', 'schema.prisma');
export const DEFAULT_MIGRATIONS_DIR = path.join(REPO_ROOT, 'prisma', 'migrations');
/** Same default as prisma.config.ts. */
export const DEFAULT_DATABASE_URL = 'postgresql://usersys:usersys@127.0.0.1:5432/usersys';
