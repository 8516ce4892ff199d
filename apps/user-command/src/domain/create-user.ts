import { createEvent } from '@usersys/event-schema';
import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import type { EventLog, PasswordHasher, PendingMarkers, StepRunner, UserDirectory } from './ports';
import type { CreateUserInput } from './validation';

export interface CreateUserDeps {
  directory: UserDirectory;
  hasher: PasswordHasher;
  markers: PendingMarkers;
  events: EventLog;
  step: StepRunner;
}

export interface RequestTrace {
  traceparent?: string;
  tracestate?: string;
  traceId?: string;
}

export type CreateUserResult = { outcome: 'accepted'; eventId: string } | { outcome: 'in_progress'; eventId?: string };

/**
 * Sign-up, synchronously: uniqueness → hash → pending marker → WAL. Anything that fails before the
 * WAL append leaves nothing downstream; the 202 is sent only once the event is durable.
 */
export async function createUser(deps: CreateUserDeps, input: CreateUserInput, trace: RequestTrace): Promise<CreateUserResult> {
  const { username, email, phone } = input;

  const taken = await deps.step('ensureContactUniqueness', async () => {
    try {
      return await deps.directory.taken({ username, email, phone });
    } catch (err) {
      throw new AppError(ERRORS.LOOKUP_UNAVAILABLE, undefined, { cause: err });
    }
  });
  if (taken.username) throw new AppError(ERRORS.USERNAME_TAKEN, undefined, { details: { field: 'username' } });
  if (taken.email) throw new AppError(ERRORS.EMAIL_TAKEN, undefined, { details: { field: 'email' } });
  if (taken.phone) throw new AppError(ERRORS.PHONE_TAKEN, undefined, { details: { field: 'phone' } });

  const passwordHash = await deps.step('hashPassword', () => deps.hasher.hash(input.password));
  const event = createEvent('user.created', username, { email, phone, nickname: input.nickname ?? null, passwordHash, role: 'user' }, { traceparent: trace.traceparent, tracestate: trace.tracestate });

  const marked = await deps.step('markUserPendingCreate', async () => {
    try {
      return await deps.markers.markIfAbsent(username, { eventId: event.eventId, eventType: event.type, traceId: trace.traceId, createdAt: event.occurredAt });
    } catch (err) {
      throw new AppError(ERRORS.MARKER_STORE_UNAVAILABLE, undefined, { cause: err });
    }
  });
  // Same name already in flight (a client retry or a concurrent sign-up): no second event.
  if (!marked.created) return { outcome: 'in_progress', eventId: marked.existing?.eventId };

  await deps.step('walAppend', async () => {
    try {
      await deps.events.append(event);
    } catch (err) {
      // The marker stays and expires by TTL; the client may retry.
      throw new AppError(ERRORS.WAL_UNAVAILABLE, undefined, { cause: err });
    }
  });
  return { outcome: 'accepted', eventId: event.eventId };
}
