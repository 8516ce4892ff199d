import { partitionLags } from './consumer-lag';

describe('partitionLags', () => {
  const ends = [
    { partition: 0, high: '10', low: '0' },
    { partition: 1, high: '7', low: '3' },
    { partition: 2, high: '5', low: '5' },
  ];

  it('is end minus committed; a partition without a commit counts from its low watermark', () => {
    expect(partitionLags('t', ends, [{ partition: 0, offset: '4' }, { partition: 1, offset: '-1' }])).toEqual([
      { topic: 't', partition: 0, end: 10, committed: 4, lag: 6 },
      { topic: 't', partition: 1, end: 7, committed: null, lag: 4 },
      { topic: 't', partition: 2, end: 5, committed: null, lag: 0 },
    ]);
  });

  it('is zero for a caught-up group and never negative', () => {
    const lags = partitionLags('t', ends, [
      { partition: 0, offset: '10' },
      { partition: 1, offset: '7' },
      { partition: 2, offset: '9' },
    ]);
    expect(lags.map((l) => l.lag)).toEqual([0, 0, 0]);
  });
});
