// Public API of @usersys/db. The Prisma client under ./generated is produced by `npx prisma generate`.
// Throw-away test databases live in @usersys/db-testing (test support, never imported by production code).
export { PrismaClient, Prisma, UserRole, UserState } from './generated/prisma/client';
export type { User, ProcessedEvent, LoginAudit } from './generated/prisma/client';
export { createPrismaClient, type CreatePrismaClientOptions } from './client';
export { uniqueViolationFields } from './errors';
export * from './migrations';
