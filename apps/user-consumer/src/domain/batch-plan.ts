import type { EventEnvelope } from '@usersys/event-schema';
import type { InboundMessage } from './messages';

/** A fetched message, decoded: an event, or the reason it is poison. */
export interface Item {
  msg: InboundMessage;
  event?: EventEnvelope;
  poison?: string;
}
export type EventItem = Item & { event: EventEnvelope };

/**
 * What to do with a fetched batch, in offset order:
 * - group: creates of distinct usernames whose users are not parked, written in one statement
 *   (at most `writeBatchMax`);
 * - single: any other event (written alone, or queued behind its parked user);
 * - poison: not an event (dead-lettered).
 * Anything that is not a create closes the group before it, so per-user and per-partition order
 * hold; a second create of a username in the group starts the next group.
 */
export type Step = { kind: 'group'; items: EventItem[] } | { kind: 'single'; item: EventItem } | { kind: 'poison'; item: Item };

export function planBatch(items: Item[], isParked: (username: string) => boolean, writeBatchMax: number): Step[] {
  const steps: Step[] = [];
  let group: EventItem[] = [];
  const inGroup = new Set<string>();
  const flush = () => {
    if (group.length) steps.push({ kind: 'group', items: group });
    group = [];
    inGroup.clear();
  };
  for (const item of items) {
    const e = item.event;
    if (!e) {
      flush();
      steps.push({ kind: 'poison', item });
      continue;
    }
    const groupable = e.type === 'user.created' && !isParked(e.username);
    if (!groupable) {
      flush();
      steps.push({ kind: 'single', item: item as EventItem });
      continue;
    }
    if (inGroup.has(e.username) || group.length >= writeBatchMax) flush();
    group.push(item as EventItem);
    inGroup.add(e.username);
  }
  flush();
  return steps;
}
