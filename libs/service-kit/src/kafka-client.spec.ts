import { classifyKafkaError, ConnectionWatch, type WatchOptions } from './kafka-client';

const timeout = () => Object.assign(new Error('Request Produce(key: 0, version: 7) timed out'), { name: 'KafkaJSRequestTimeoutError' });
const refused = () => Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' });
/** What kafkajs throws once a client connected while the broker was frozen. */
const stuck = () => Object.assign(new Error('Broker not connected'), { name: 'KafkaJSNonRetriableError', cause: new Error('Broker not connected') });
const tooLarge = () => Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE' });

describe('classifyKafkaError', () => {
  it.each([
    ['a request timeout', timeout(), 'dead-connection'],
    ['a request timeout behind retries', Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', cause: timeout() }), 'dead-connection'],
    ['the stuck "Broker not connected" state', stuck(), 'dead-connection'],
    ['a protocol error from the broker', tooLarge(), 'broker-answered'],
    ['a refused connection', refused(), 'failed'],
    ['something else', new Error('boom'), 'failed'],
  ])('%s → %s', (_what, err, kind) => {
    expect(classifyKafkaError(err)).toBe(kind);
  });
});

describe('ConnectionWatch', () => {
  let now = 0;
  const watch = (overrides: Partial<WatchOptions> = {}) =>
    new ConnectionWatch({ stallAfterMs: 15_000, wedgedAfterMs: 300_000, rebuildBackoff: { baseMs: 1000, maxMs: 8000 }, expectsSteadyProgress: false, now: () => now, random: () => 1, ...overrides });
  beforeEach(() => {
    now = 1_000_000;
  });

  it('is not ready before the first connection, ready after it', () => {
    const w = watch();
    expect(w.problem()).toBe('not connected');
    w.connectedNow();
    expect(w.problem()).toBeNull();
    expect(w.shouldRebuild()).toBe(false);
  });

  it('rebuilds at once after a request timeout, and is not ready meanwhile', () => {
    const w = watch();
    w.connectedNow();
    w.failure(timeout());
    expect(w.problem()).toMatch(/^failing for 0s: .*timed out/);
    expect(w.shouldRebuild()).toBe(true);
  });

  it('retries an ordinary failure inside the client first; rebuilds only after failing for stallAfterMs', () => {
    const w = watch();
    w.connectedNow();
    w.failure(refused());
    expect(w.problem()).not.toBeNull();
    now += 14_999;
    w.failure(refused());
    expect(w.shouldRebuild()).toBe(false);
    now += 1;
    expect(w.shouldRebuild()).toBe(true);
  });

  it('counts a protocol error as the broker answering', () => {
    const w = watch();
    w.connectedNow();
    w.failure(refused());
    w.failure(tooLarge());
    expect(w.problem()).toBeNull();
    now += 60_000;
    expect(w.shouldRebuild()).toBe(false);
  });

  it('backs off between rebuilds that do not help, and resets on the first success', () => {
    const w = watch();
    w.connectedNow();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      w.failure(stuck());
      expect(w.shouldRebuild()).toBe(true);
      w.rebuilt();
      const from = now;
      while (!(w.failure(stuck()), w.shouldRebuild())) now += 100;
      waits.push(now - from);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(w.attempts).toBe(5);
    expect(w.problem()).toMatch(/Broker not connected/); // still not ready while rebuilds fail

    w.rebuilt();
    w.connectedNow();
    expect(w.attempts).toBe(0);
    expect(w.problem()).toBeNull();
    w.failure(timeout());
    expect(w.shouldRebuild()).toBe(true); // a success clears the backoff
    w.rebuilt();
    w.failure(stuck());
    now += 999;
    expect(w.shouldRebuild()).toBe(false);
    now += 1;
    expect(w.shouldRebuild()).toBe(true); // and starts it from the first wait again
  });

  it('a consumer that neither fetches nor heartbeats while no handler runs is stalled; a long handler is not', () => {
    const w = watch({ expectsSteadyProgress: true });
    w.connectedNow();
    now += 14_000;
    w.progress(); // a fetch completed
    now += 14_000;
    expect(w.problem()).toBeNull();
    w.batchStarted();
    now += 120_000;
    expect(w.shouldRebuild()).toBe(false);
    expect(w.problem()).toBeNull();
    w.batchEnded();
    now += 14_999;
    expect(w.shouldRebuild()).toBe(false);
    now += 1;
    expect(w.problem()).toBe('no fetch or heartbeat for 15s');
    expect(w.shouldRebuild()).toBe(true);
  });

  it('a consumer joining its group is not stalled until it joined (the broker may wait a session timeout for old members)', () => {
    const w = watch({ expectsSteadyProgress: true, joinTimeoutMs: 90_000 });
    w.joinStarted();
    now += 60_000;
    expect(w.shouldRebuild()).toBe(false);
    w.joinStarted(); // a second rebalance notice does not extend the join
    now += 29_999;
    expect(w.shouldRebuild()).toBe(false);
    w.failure(timeout()); // but a join request that times out is a dead connection
    expect(w.shouldRebuild()).toBe(true);
    w.rebuilt();
    w.joinStarted();
    w.joined();
    w.connectedNow();
    now += 15_000;
    expect(w.shouldRebuild()).toBe(true); // joined, then silent
  });

  it('a join that neither ends nor fails is stalled after joinTimeoutMs', () => {
    const w = watch({ expectsSteadyProgress: true, joinTimeoutMs: 90_000 });
    w.connectedNow();
    w.joinStarted();
    now += 89_999;
    expect(w.problem()).toBeNull();
    now += 1;
    expect(w.problem()).toBe('joining its group for 90s');
    expect(w.shouldRebuild()).toBe(true);
  });

  it('a consumer kafkajs gave up on stays due for a rebuild, whatever it reports afterwards, until it is rebuilt', () => {
    const w = watch({ expectsSteadyProgress: true });
    w.connectedNow();
    w.joinStarted();
    // kafkajs: the join fails, the consumer crashes (no restart), then run() resolves as if it had started.
    w.failure(Object.assign(new Error("The coordinator is loading and hence can't process requests for this group"), { name: 'KafkaJSProtocolError', type: 'COORDINATOR_LOAD_IN_PROGRESS' }));
    w.gaveUp("crashed: The coordinator is loading and hence can't process requests for this group");
    w.connectedNow();
    w.progress();
    expect(w.problem()).toBe("crashed: The coordinator is loading and hence can't process requests for this group");
    expect(w.shouldRebuild()).toBe(true);
    w.rebuilt();
    expect(w.problem()).toBe('not connected');
    w.connectedNow();
    expect(w.problem()).toBeNull();
    expect(w.shouldRebuild()).toBe(false);
  });

  it("a handler of a replaced client no longer holds off the new client's stall detection", () => {
    const w = watch({ expectsSteadyProgress: true });
    w.connectedNow();
    w.batchStarted(); // e.g. a retry message waiting for its not-before time
    w.failure(timeout()); // the broker froze under it
    expect(w.shouldRebuild()).toBe(true);
    w.rebuilt(); // the old handler ends later, unseen: batchEnded() is only reported for the current client
    w.connectedNow();
    now += 15_000;
    expect(w.problem()).toBe('no fetch or heartbeat for 15s');
    expect(w.shouldRebuild()).toBe(true);
  });

  it('a producer may idle without being stalled', () => {
    const w = watch();
    w.connectedNow();
    now += 3_600_000;
    expect(w.problem()).toBeNull();
    expect(w.shouldRebuild()).toBe(false);
  });

  it('asks for a restart only when a call of the current client never settles', async () => {
    const w = watch();
    w.connectedNow();
    let settle!: () => void;
    const call = w.track(new Promise<void>((r) => (settle = r)));
    now += 299_999;
    expect(w.wedged()).toBeNull();
    now += 1;
    expect(w.wedged()).toBe('a kafka call has not settled for 300s');
    settle();
    await call;
    expect(w.wedged()).toBeNull();

    void w.track(new Promise<void>(() => {}));
    w.rebuilt(); // the hanging call belonged to the discarded client
    now += 600_000;
    expect(w.wedged()).toBeNull();
  });
});
