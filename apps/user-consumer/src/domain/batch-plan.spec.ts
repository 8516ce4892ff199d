import type { EventEnvelope } from '@usersys/event-schema';
import { createdEvent, deletedEvent, updatedEvent } from '@usersys/user-consumer-testing/fixtures';
import { planBatch, type Item, type Step } from './batch-plan';

const item = (e: EventEnvelope | null, offset: number): Item => ({ msg: { topic: 't', partition: 0, offset: String(offset), key: null, value: null, headers: {} }, ...(e ? { event: e } : { poison: 'bad' }) });
const describeSteps = (steps: Step[]) => steps.map((s) => (s.kind === 'group' ? `group(${s.items.map((i) => i.msg.offset).join(',')})` : `${s.kind}(${s.item.msg.offset})`));

describe('planBatch', () => {
  it('groups creates of distinct free users, closes the group before anything else, caps its size', () => {
    const items = [createdEvent('aaa'), createdEvent('bbb'), updatedEvent('aaa', { nickname: 'n' }), createdEvent('ccc'), createdEvent('ccc'), null, createdEvent('ddd'), createdEvent('eee'), createdEvent('fff'), deletedEvent('bbb')].map(item);
    expect(describeSteps(planBatch(items, () => false, 2))).toEqual(['group(0,1)', 'single(2)', 'group(3)', 'group(4)', 'poison(5)', 'group(6,7)', 'group(8)', 'single(9)']);
  });

  it('a create of a parked user is a single step (it queues behind the head)', () => {
    const items = [createdEvent('aaa'), createdEvent('parked'), createdEvent('bbb')].map(item);
    expect(describeSteps(planBatch(items, (u) => u === 'parked', 10))).toEqual(['group(0)', 'single(1)', 'group(2)']);
  });
});
