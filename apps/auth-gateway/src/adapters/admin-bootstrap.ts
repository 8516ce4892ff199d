import type { PrismaClient } from '@usersys/db';
import type { Logger } from '@usersys/logger';

/**
 * Creates the admin account from ADMIN_USERNAME/ADMIN_PASSWORD when it is absent. Idempotent and
 * safe with several gateways starting at once (INSERT … ON CONFLICT DO NOTHING); an existing
 * account is never changed, so rotating ADMIN_PASSWORD later does not reset a password.
 */
export async function ensureAdminAccount(
  prisma: PrismaClient,
  admin: { username: string; password: string; email: string; phone: string },
  hash: (password: string) => Promise<string>,
  log: Logger,
): Promise<'created' | 'exists'> {
  const existing = await prisma.user.findUnique({ where: { username: admin.username }, select: { role: true } });
  if (existing) {
    if (existing.role !== 'admin') log.warn({ username: admin.username }, 'ADMIN_USERNAME names an existing non-admin account; left unchanged');
    return 'exists';
  }
  const { count } = await prisma.user.createMany({
    data: [{ username: admin.username, email: admin.email.trim().toLowerCase(), phone: admin.phone.replace(/\s/g, ''), passwordHash: await hash(admin.password), role: 'admin', state: 'active' }],
    skipDuplicates: true,
  });
  if (count === 1) log.info({ username: admin.username }, 'admin account created');
  else if (!(await prisma.user.findUnique({ where: { username: admin.username }, select: { id: true } }))) {
    log.error({ username: admin.username }, 'admin account not created: ADMIN_EMAIL or ADMIN_PHONE belongs to another account');
  }
  return count === 1 ? 'created' : 'exists';
}
