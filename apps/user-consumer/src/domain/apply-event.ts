import type { EventEnvelope } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { withSpan } from '@usersys/tracing';
import type { RequestBookkeeping, StoreOutcome, UserStore } from './ports';

const SPAN_BY_TYPE: Record<EventEnvelope['type'], string> = {
  'user.created': 'processCreateOperation',
  'user.updated': 'processUpdateOperation',
  'user.deleted': 'processDeleteOperation',
  'user.force_deleted': 'processForceDeleteOperation',
};

export { SPAN_BY_TYPE };

/**
 * Applies one event. The database is the source of truth: processed event ids and unique
 * constraints make a redelivery a no-op. The pending marker is only read to notice when it is gone
 * (expired, or Redis down), in which case the decision rests on the current row (logged as degrade).
 * Transient failures throw; the caller retries without committing the offset.
 */
export async function applyEvent(event: EventEnvelope, deps: { store: UserStore; bookkeeping: RequestBookkeeping; log: Logger }): Promise<StoreOutcome> {
  const { store, bookkeeping, log } = deps;
  const username = event.username;

  let markerMissing = false;
  if (event.type === 'user.created') {
    const markerEventId = await bookkeeping.markerEventId(username).catch(() => null);
    if (markerEventId === null) {
      markerMissing = true;
      const row = await store.find(username);
      if (row) {
        const outcome: StoreOutcome = row.lastEventId === event.eventId ? { kind: 'duplicate' } : { kind: 'skipped', reason: 'user already exists' };
        log.warn({ username, event_id: event.eventId, degrade: true, status: outcome.kind }, 'pending marker missing and user exists: not writing');
        return outcome;
      }
      log.warn({ username, event_id: event.eventId, degrade: true }, 'pending marker missing: decided from the database (user absent, writing)');
    }
  }

  const outcome = await withSpan(event.type === 'user.created' ? 'createUserInDB' : 'writeUserInDB', { attributes: { 'enduser.id': username, 'event.id': event.eventId } }, async (span) => {
    let result: StoreOutcome;
    if (event.type === 'user.created') result = await store.create(event);
    else if (event.type === 'user.updated') result = await store.update(event);
    else result = await store.remove(event, event.type === 'user.force_deleted' ? 'hard' : 'soft');
    span.setAttribute('outcome', result.kind);
    return result;
  });

  if (outcome.kind === 'rejected') {
    await bookkeeping.recordRejection(username, event.eventId, `${outcome.field} is already taken by another user`);
  }
  // The row is written; Redis trouble now only delays what the marker and cache show (both have
  // TTLs), so it is logged as a degradation rather than failing an event that already succeeded.
  try {
    await withSpan('clearPendingMarker', { attributes: { 'enduser.id': username } }, () => bookkeeping.clearMarker(username, event.eventId));
    await withSpan('refreshUserCache', { attributes: { 'enduser.id': username } }, () => bookkeeping.invalidateUserCache(username));
  } catch (err) {
    log.warn({ username, event_id: event.eventId, degrade: true, err: (err as Error).message }, 'could not clear marker or cache after write');
  }
  log.info({ username, event_id: event.eventId, event_type: event.type, status: outcome.kind, degrade: markerMissing }, 'event processed');
  return outcome;
}
