import { WakeableSleeper } from './wakeable-sleeper';

describe('WakeableSleeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it('resolves after the given time', async () => {
    const sleeper = new WakeableSleeper();
    const nap = sleeper.sleep(100);
    jest.advanceTimersByTime(99);
    expect(await settled(nap)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await settled(nap)).toBe(true);
  });

  it('resolves at once when woken, and clears its timer', async () => {
    const sleeper = new WakeableSleeper();
    const nap = sleeper.sleep(10_000);
    sleeper.wake();
    expect(await settled(nap)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('without a time, waits for a wake only', async () => {
    const sleeper = new WakeableSleeper();
    const nap = sleeper.sleep();
    jest.advanceTimersByTime(60_000);
    expect(await settled(nap)).toBe(false);
    sleeper.wake();
    expect(await settled(nap)).toBe(true);
  });

  it('drops a wake with nobody asleep (the next sleep still waits)', async () => {
    const sleeper = new WakeableSleeper();
    sleeper.wake();
    const nap = sleeper.sleep(50);
    expect(await settled(nap)).toBe(false);
    jest.advanceTimersByTime(50);
    expect(await settled(nap)).toBe(true);
  });
});
