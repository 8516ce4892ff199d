import type { EventEnvelope } from '@usersys/event-schema';
import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import type { EventLog, PasswordHasher, StepRunner } from './ports';
import type { KeyedSequencer } from './sequencer';

export interface HandOffDeps {
  events: EventLog;
  hasher: PasswordHasher;
  step: StepRunner;
  sequencer: KeyedSequencer;
}

export function hashPassword(deps: HandOffDeps, username: string, password: string): Promise<string> {
  return deps.step('hashPassword', () => deps.hasher.hash(password), { 'enduser.id': username });
}

/**
 * Appends the event once every earlier request for the same username (in this process) is done,
 * so a name's events reach the WAL, and from there its single Kafka partition, in arrival order.
 */
export async function appendInTurn(deps: HandOffDeps, turn: Promise<void>, event: EventEnvelope): Promise<void> {
  await turn;
  await deps.step(
    'walAppend',
    async () => {
      try {
        await deps.events.append(event);
      } catch (err) {
        throw new AppError(ERRORS.WAL_UNAVAILABLE, undefined, { cause: err });
      }
    },
    { 'enduser.id': event.username, 'event.id': event.eventId, 'event.type': event.type },
  );
}

/** Runs `fn` holding the username's ticket; the ticket is returned whatever happens. */
export async function inTurn<T>(deps: HandOffDeps, username: string, fn: (turn: Promise<void>) => Promise<T>): Promise<T> {
  const ticket = deps.sequencer.enter(username);
  try {
    return await fn(ticket.turn);
  } finally {
    ticket.done();
  }
}
