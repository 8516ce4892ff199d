import { onMainTopicEvent, onRetryTopicEvent, type MainTopicStep, type RetryTopicStep } from './parking';
import type { ParkState } from './ports';

const retrying: ParkState = { username: 'u', headEventId: 'head', status: 'retrying', attempts: 2 };
const dead: ParkState = { ...retrying, status: 'dead' };

describe('parking: an event from the main topic', () => {
  it.each<[string, ParkState | undefined, string, MainTopicStep]>([
    ['free user', undefined, 'e1', { do: 'apply' }],
    ['behind a head in retry', retrying, 'e1', { do: 'queue' }],
    ['behind a dead head', dead, 'e1', { do: 'queue' }],
    ['the retrying head redelivered', retrying, 'head', { do: 'head_redelivered', resend: true }],
    ['the dead head redelivered', dead, 'head', { do: 'head_redelivered', resend: false }],
  ])('%s', (_what, park, eventId, expected) => {
    expect(onMainTopicEvent(park, eventId)).toEqual(expected);
  });
});

describe('parking: a write message from the retry topic', () => {
  it.each<[string, ParkState | undefined, string, { attempt: number; action?: 'replay' | 'discard' }, RetryTopicStep]>([
    ['the head, current attempt', retrying, 'head', { attempt: 2 }, { do: 'apply', attempt: 2, isHead: true }],
    ['the head, older attempt', retrying, 'head', { attempt: 1 }, { do: 'stale' }],
    ['a dead head (only a replay revives it)', dead, 'head', { attempt: 5 }, { do: 'stale' }],
    ['a dead head replayed', dead, 'head', { attempt: 1, action: 'replay' }, { do: 'apply', attempt: 1, isHead: true }],
    ['a dead head discarded', dead, 'head', { attempt: 1, action: 'discard' }, { do: 'discard', isHead: true }],
    ['another event of a parked user', retrying, 'e1', { attempt: 1 }, { do: 'queue' }],
    ['a free user (unparked meanwhile)', undefined, 'e1', { attempt: 3 }, { do: 'apply', attempt: 3, isHead: false }],
    ['a discard for a free user', undefined, 'e1', { attempt: 1, action: 'discard' }, { do: 'discard', isHead: false }],
  ])('%s', (_what, park, eventId, meta, expected) => {
    expect(onRetryTopicEvent(park, eventId, meta)).toEqual(expected);
  });
});
