import type { PrismaClient } from '@usersys/db';
import type { CachedUser } from '@usersys/user-cache';
import type { Contacts, ContactOwners, UserDirectory, UserView } from '../domain/ports';

/**
 * Equality lookups on the unique indexes of normalised columns (no function ever wraps a column),
 * selecting as little as each caller needs.
 */
export class PrismaUserDirectory implements UserDirectory {
  constructor(private readonly prisma: PrismaClient) {}

  async usernameExists(username: string): Promise<boolean> {
    return (await this.prisma.user.findUnique({ where: { username }, select: { id: true } })) !== null;
  }

  /** One round trip: `email = $1 OR phone = $2`, a BitmapOr over the two unique indexes. */
  async contactOwners(contacts: Contacts): Promise<ContactOwners> {
    const or = [...(contacts.email !== undefined ? [{ email: contacts.email }] : []), ...(contacts.phone !== undefined ? [{ phone: contacts.phone }] : [])];
    if (or.length === 0) return { email: null, phone: null };
    const rows = await this.prisma.user.findMany({ where: { OR: or }, select: { username: true, email: true, phone: true }, take: 2 });
    return {
      email: contacts.email === undefined ? null : (rows.find((r) => r.email === contacts.email)?.username ?? null),
      phone: contacts.phone === undefined ? null : (rows.find((r) => r.phone === contacts.phone)?.username ?? null),
    };
  }

  async loadForCache(username: string): Promise<CachedUser | null> {
    const row = await this.prisma.user.findUnique({
      where: { username },
      select: { username: true, accountId: true, credentialVersion: true, email: true, phone: true, nickname: true, role: true, state: true, passwordHash: true, lastEventId: true, updatedAt: true },
    });
    return row ? { ...row, updatedAt: row.updatedAt.toISOString() } : null;
  }

  async view(username: string): Promise<UserView | null> {
    const row = await this.prisma.user.findUnique({
      where: { username },
      select: { username: true, email: true, phone: true, nickname: true, role: true, state: true, createdAt: true, updatedAt: true, lastLoginAt: true },
    });
    if (!row) return null;
    return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(), lastLoginAt: row.lastLoginAt?.toISOString() ?? null };
  }

  async stateOf(username: string) {
    return this.prisma.user.findUnique({ where: { username }, select: { state: true, updatedAt: true } });
  }
}
