import { describeUndrained, isDrained, type DrainReading } from './drain';

const partition = (p: number, end: number, committed: number | null) => ({ partition: p, end, committed, lag: end - (committed ?? 0) });

describe('drain reading', () => {
  it('is drained only when the relay backlog and both groups lag 0', () => {
    const drained: DrainReading = { relayBacklog: 0, events: [partition(0, 10, 10)], retry: [partition(0, 0, null)] };
    expect(isDrained(drained)).toBe(true);
    expect(describeUndrained(drained)).toBe('drained');
    expect(isDrained({ ...drained, retry: null })).toBe(false);
    expect(isDrained({ ...drained, relayBacklog: null })).toBe(false);
  });

  it('names the part that did not drain, with the partitions that lag', () => {
    const reading: DrainReading = { relayBacklog: 0, events: [partition(0, 10, 10), partition(1, 4, 4)], retry: [partition(0, 5, 2), partition(1, 0, null), partition(2, 3, null)] };
    expect(isDrained(reading)).toBe(false);
    expect(describeUndrained(reading)).toBe('user.retry.v1 lag (group -retry) 6 [p0: 3 (end 5, committed 2), p2: 3 (end 3, committed never)]');
    expect(describeUndrained({ relayBacklog: 7, events: null, retry: [] })).toBe('relay backlog 7; user.events.v1 lag unreadable');
  });
});
