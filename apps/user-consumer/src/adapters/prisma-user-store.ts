import { uniqueViolationFields, type PrismaClient } from '@usersys/db';
import type { EventEnvelope, UserCreatedEvent, UserUpdatedEvent } from '@usersys/event-schema';
import type { StoreOutcome, UserStore } from '../domain/ports';

/**
 * Each change is written in one transaction together with its `processed_events` row, so an event
 * is applied exactly once in effect however often Kafka delivers it.
 */
export class PrismaUserStore implements UserStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(event: UserCreatedEvent): Promise<StoreOutcome> {
    const p = event.payload;
    try {
      await this.prisma.$transaction([
        this.prisma.processedEvent.create({ data: { eventId: event.eventId, username: event.username, eventType: event.type } }),
        this.prisma.user.create({
          data: { username: event.username, email: p.email, phone: p.phone, passwordHash: p.passwordHash, nickname: p.nickname ?? null, role: p.role, lastEventId: event.eventId, createdAt: new Date(event.occurredAt) },
        }),
      ]);
      return { kind: 'applied' };
    } catch (err) {
      return this.classify(err, event.eventId);
    }
  }

  async update(event: UserUpdatedEvent): Promise<StoreOutcome> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        await tx.processedEvent.create({ data: { eventId: event.eventId, username: event.username, eventType: event.type } });
        const current = await tx.user.findUnique({ where: { username: event.username }, select: { state: true } });
        if (!current || current.state === 'deleted') return { kind: 'skipped', reason: current ? 'user is deleted' : 'user does not exist' } as const;
        const p = event.payload;
        await tx.user.update({
          where: { username: event.username },
          data: {
            ...(p.email !== undefined ? { email: p.email } : {}),
            ...(p.phone !== undefined ? { phone: p.phone } : {}),
            ...(p.nickname !== undefined ? { nickname: p.nickname } : {}),
            ...(p.passwordHash !== undefined ? { passwordHash: p.passwordHash } : {}),
            lastEventId: event.eventId,
          },
        });
        return { kind: 'applied' } as const;
      });
    } catch (err) {
      return this.classify(err, event.eventId);
    }
  }

  async remove(event: EventEnvelope, mode: 'soft' | 'hard'): Promise<StoreOutcome> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        await tx.processedEvent.create({ data: { eventId: event.eventId, username: event.username, eventType: event.type } });
        if (mode === 'hard') {
          const { count } = await tx.user.deleteMany({ where: { username: event.username } });
          return count ? ({ kind: 'applied' } as const) : ({ kind: 'skipped', reason: 'user does not exist' } as const);
        }
        const { count } = await tx.user.updateMany({ where: { username: event.username, state: { not: 'deleted' } }, data: { state: 'deleted', deletedAt: new Date(event.occurredAt), lastEventId: event.eventId } });
        return count ? ({ kind: 'applied' } as const) : ({ kind: 'skipped', reason: 'user does not exist or is already deleted' } as const);
      });
    } catch (err) {
      return this.classify(err, event.eventId);
    }
  }

  async find(username: string) {
    return this.prisma.user.findUnique({ where: { username }, select: { lastEventId: true, state: true } });
  }

  /** Unique violations are decisions, not failures; anything else is transient and rethrown. */
  private classify(err: unknown, _eventId: string): StoreOutcome {
    const fields = uniqueViolationFields(err);
    if (!fields) throw err;
    if (fields.includes('eventId')) return { kind: 'duplicate' };
    return { kind: 'rejected', field: fields[0] };
  }
}
