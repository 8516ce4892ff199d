import type { PrismaClient } from '@usersys/db';
import type { UserDirectory } from '../domain/ports';

/** Uniqueness lookups: three equality lookups on unique indexes, in parallel, each reading only the key. */
export class PrismaUserDirectory implements UserDirectory {
  constructor(private readonly prisma: PrismaClient) {}

  async taken(keys: { username: string; email: string; phone: string }) {
    const [username, email, phone] = await Promise.all([
      this.prisma.user.findUnique({ where: { username: keys.username }, select: { id: true } }),
      this.prisma.user.findUnique({ where: { email: keys.email }, select: { id: true } }),
      this.prisma.user.findUnique({ where: { phone: keys.phone }, select: { id: true } }),
    ]);
    return { username: username !== null, email: email !== null, phone: phone !== null };
  }

  async stateOf(username: string) {
    const row = await this.prisma.user.findUnique({ where: { username }, select: { state: true } });
    return row?.state ?? null;
  }
}
