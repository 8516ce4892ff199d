// Public API of @usersys/db. The Prisma client under ./generated is produced by `npx prisma generate`.
export { PrismaClient, Prisma, UserRole, UserState } from './generated/prisma/client';
export type { User, ProcessedEvent, LoginAudit } from './generated/prisma/client';
export { createPrismaClient, type CreatePrismaClientOptions } from './client';
export { uniqueViolationFields } from './errors';
export * from './migrations';
export { createTestDatabase, type TestDatabase } from './test-database';
