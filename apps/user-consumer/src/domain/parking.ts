import type { RetryMeta } from '@usersys/event-schema';
import type { ParkState } from './ports';

/**
 * Per-user parking, as a state machine (the state lives in PostgreSQL: consumer_parked_users and
 * consumer_parked_events; README "Where parking lives, and why"):
 *
 *   free ──write fails (retry)──────────▶ retrying(head, attempt 1)   later events queue behind the head
 *   free ──write refused (data)─────────▶ dead(head, invalid_data)
 *   retrying ──attempt fails────────────▶ retrying(head, attempt + 1) | dead(head, retries_exhausted)
 *   retrying | dead ──head applied, replayed or discarded──▶ draining: queued events applied in order;
 *       one that fails becomes the new head (retrying or dead); the empty queue → free
 *
 * These functions decide what an arriving event means for that state; failure-policy.ts decides
 * what a failure does to it.
 */

/** An event from the main topic for a user in state `park` (undefined = free). */
export type MainTopicStep = { do: 'apply' } | { do: 'queue' } | { do: 'head_redelivered'; resend: boolean };

export function onMainTopicEvent(park: ParkState | undefined, eventId: string): MainTopicStep {
  if (!park) return { do: 'apply' };
  // The head itself again (we stopped after parking it, before committing): make sure it is in retry.
  if (park.headEventId === eventId) return { do: 'head_redelivered', resend: park.status === 'retrying' };
  return { do: 'queue' };
}

/** A write-stage message from the retry topic. `attempt` is the delivery it counts as. */
export type RetryTopicStep =
  | { do: 'discard'; isHead: boolean }
  | { do: 'queue' }
  | { do: 'stale' }
  | { do: 'apply'; attempt: number; isHead: boolean };

export function onRetryTopicEvent(park: ParkState | undefined, eventId: string, meta: Pick<RetryMeta, 'attempt' | 'action'>): RetryTopicStep {
  const isHead = park?.headEventId === eventId;
  if (meta.action === 'discard') return { do: 'discard', isHead };
  if (park && !isHead) return { do: 'queue' };
  if (isHead) {
    if (meta.action === 'replay') return { do: 'apply', attempt: 1, isHead };
    // A dead head is only revived by a replay; an older attempt was superseded by a newer one.
    if (park!.status === 'dead' || meta.attempt < park!.attempts) return { do: 'stale' };
  }
  return { do: 'apply', attempt: meta.attempt, isHead };
}
