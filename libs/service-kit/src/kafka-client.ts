import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  type ConsumerSubscribeTopics,
  type EachBatchPayload,
  type EachMessagePayload,
  type Producer,
  type ProducerBatch,
  type ProducerConfig,
  type ProducerRecord,
  type RecordMetadata,
  type RetryOptions,
  type TopicMessages,
} from 'kafkajs';
import type { Logger } from 'pino';
import { backoffMs } from './backoff';
import './kafkajs-idle-fix'; // every Kafka client of the services is built here: no idle 1 ms timer loop per connection
import { PartitionLedger } from './partition-ledger';

/*
 * Why this exists: a kafkajs client that opens a connection while the broker is frozen (SIGSTOP,
 * GC pause, VM stall, partition where TCP still connects) never recovers. The kernel accepts the
 * TCP connection, the ApiVersions request times out, and kafkajs' Broker keeps `isConnected() ===
 * true` with its request lookup never initialised: every later call fails with "Broker not
 * connected" and connect() returns early, forever (kafkajs 2.2.4, src/broker/index.js connect() and
 * src/cluster/brokerPool.js connect()). A request timeout never closes the socket either. The only
 * cure is a new client: these wrappers notice a connection that no longer answers and rebuild it.
 */

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  /** TCP connect timeout (kafkajs `connectionTimeout`). */
  connectionTimeoutMs?: number;
  /** A request without an answer for this long counts as a dead connection (kafkajs `requestTimeout`). */
  requestTimeoutMs?: number;
  /** kafkajs' own short retries inside one call; the callers (and the rebuilds here) own the long waits. */
  retry?: RetryOptions;
  /** Failing this long without any success (or, for a consumer, no fetch/heartbeat while idle): rebuild. */
  stallAfterMs?: number;
  /** Waits between rebuilds while they do not help (capped exponential, jittered). */
  rebuildBackoff?: { baseMs: number; maxMs: number };
  /** A kafkajs call of the current client still unsettled after this long: the process should be restarted. */
  wedgedAfterMs?: number;
}

type Resolved = Required<KafkaClientOptions>;

function resolve(options: KafkaClientOptions): Resolved {
  return {
    connectionTimeoutMs: 3000,
    requestTimeoutMs: 10_000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    stallAfterMs: 15_000,
    rebuildBackoff: { baseMs: 500, maxMs: 10_000 },
    wedgedAfterMs: 5 * 60_000,
    ...options,
  };
}

/** The one place a kafkajs client is constructed (client id, brokers, timeouts, retries, no kafkajs logging). */
export function createKafka(options: KafkaClientOptions): Kafka {
  const o = resolve(options);
  return new Kafka({ clientId: o.clientId, brokers: o.brokers, logLevel: logLevel.NOTHING, connectionTimeout: o.connectionTimeoutMs, requestTimeout: o.requestTimeoutMs, retry: o.retry });
}

/** kafkajs' default rebalance timeout (60 s, how long the broker may hold a join for old members) plus margin. */
const DEFAULT_JOIN_TIMEOUT_MS = 90_000;

/** What a failed kafkajs call says about the connection. */
export type ErrorKind = 'dead-connection' | 'broker-answered' | 'failed';

/**
 * `dead-connection`: a request timed out or the client is in kafkajs' stuck "Broker not connected"
 * state; only a new client helps. `broker-answered`: the broker replied with a protocol error (too
 * large, not leader, …), so it is reachable. Anything else (refused, reset, …) kafkajs retries itself.
 */
export function classifyKafkaError(err: unknown): ErrorKind {
  let answered = false;
  for (let e = err as { name?: string; message?: string; type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (e.name === 'KafkaJSRequestTimeoutError' || e.message === 'Broker not connected') return 'dead-connection';
    if (e.type) answered = true;
  }
  return answered ? 'broker-answered' : 'failed';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface WatchOptions {
  stallAfterMs: number;
  wedgedAfterMs: number;
  rebuildBackoff: { baseMs: number; maxMs: number };
  /** A consumer fetches or heartbeats every few seconds when healthy; silence is a stall. A producer may idle. */
  expectsSteadyProgress: boolean;
  /** A consumer still joining its group after this long is stalled too (default: kafkajs' rebalance timeout plus margin). */
  joinTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
}

/**
 * The decisions, without kafkajs: is the client reachable (readiness), should it be torn down and
 * rebuilt now (respecting the backoff), is it wedged (liveness). The wrappers feed it events.
 */
export class ConnectionWatch {
  private readonly now: () => number;
  private connected = false;
  private lastProgressAt: number;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private deadConnection = false;
  private gaveUpReason: string | null = null;
  private busy = 0;
  private joiningSince: number | null = null;
  private rebuilds = 0;
  private nextRebuildAt = 0;
  private readonly inFlight = new Map<symbol, number>();

  constructor(private readonly options: WatchOptions) {
    this.now = options.now ?? Date.now;
    this.lastProgressAt = this.now();
  }

  /** The client connected (producer) or started consuming (consumer). */
  connectedNow(): void {
    this.connected = true;
    this.progress();
  }

  /** kafkajs disconnected the client without being asked. */
  disconnected(): void {
    this.connected = false;
  }

  /** A call succeeded, a fetch or heartbeat completed: the brokers answer. */
  progress(): void {
    this.lastProgressAt = this.now();
    this.failingSince = null;
    this.lastError = null;
    this.deadConnection = false;
    this.rebuilds = 0;
    this.nextRebuildAt = 0;
  }

  failure(err: unknown): void {
    const kind = classifyKafkaError(err);
    if (kind === 'broker-answered') return this.progress();
    this.failingSince ??= this.now();
    this.lastError = errorText(err);
    if (kind === 'dead-connection') this.deadConnection = true;
  }

  /**
   * The client stopped for good (a consumer crashed and kafkajs does not restart it): only a new
   * client helps. Unlike a failure, no later event of this client clears it (kafkajs' run() resolves
   * after a crash in the join as if it had started), only rebuilt() does.
   */
  gaveUp(reason: string): void {
    this.gaveUpReason = reason;
  }

  /**
   * A consumer (re)joins its group: no fetches until it is assigned partitions, which may take a
   * session timeout or more while the broker waits for old members. A frozen broker still shows up
   * as a request timeout of the join itself; a join that fails ends in a crash (gaveUp); one that
   * neither ends nor fails counts as stalled after joinTimeoutMs.
   */
  joinStarted(): void {
    this.joiningSince ??= this.now();
  }

  joined(): void {
    this.joiningSince = null;
    this.progress();
  }

  /** A consumer's handler runs: no fetches meanwhile is expected, not a stall. */
  batchStarted(): void {
    this.busy++;
  }

  batchEnded(): void {
    this.busy = Math.max(0, this.busy - 1);
    this.lastProgressAt = this.now();
  }

  private stalled(now: number): boolean {
    if (!this.options.expectsSteadyProgress || this.busy > 0) return false;
    if (this.joiningSince !== null) return now - this.joiningSince >= (this.options.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS);
    return now - this.lastProgressAt >= this.options.stallAfterMs;
  }

  shouldRebuild(): boolean {
    const now = this.now();
    if (now < this.nextRebuildAt) return false;
    if (this.deadConnection || this.gaveUpReason !== null) return true;
    if (this.failingSince !== null && now - this.failingSince >= this.options.stallAfterMs) return true;
    return this.stalled(now);
  }

  /** A new client replaces the old one: it gets a fresh grace period; the next rebuild waits longer. */
  rebuilt(): void {
    const now = this.now();
    this.rebuilds++;
    this.nextRebuildAt = now + backoffMs(this.rebuilds, this.options.rebuildBackoff, this.options.random);
    this.connected = false;
    this.deadConnection = false;
    this.gaveUpReason = null;
    this.joiningSince = null;
    this.busy = 0; // a handler of the old client may still run, but it no longer holds off stall detection
    this.lastProgressAt = now;
    this.inFlight.clear(); // the old client's calls are abandoned with it
  }

  /** Rebuilds since the last success (0 while healthy). */
  get attempts(): number {
    return this.rebuilds;
  }

  /** Why the brokers are not reachable through this client, or null when they are (readiness). */
  problem(): string | null {
    if (this.gaveUpReason !== null) return this.gaveUpReason;
    if (this.failingSince !== null) return `failing for ${Math.round((this.now() - this.failingSince) / 1000)}s: ${this.lastError}`;
    if (!this.connected) return 'not connected';
    if (this.stalled(this.now())) {
      const since = this.joiningSince ?? this.lastProgressAt;
      return `${this.joiningSince !== null ? 'joining its group' : 'no fetch or heartbeat'} for ${Math.round((this.now() - since) / 1000)}s`;
    }
    return null;
  }

  /** A kafkajs call of the current client that never settles: its timeouts failed, restart the process (liveness). */
  wedged(): string | null {
    const now = this.now();
    for (const started of this.inFlight.values()) {
      if (now - started >= this.options.wedgedAfterMs) return `a kafka call has not settled for ${Math.round((now - started) / 1000)}s`;
    }
    return null;
  }

  track<T>(promise: Promise<T>): Promise<T> {
    const token = Symbol('call');
    this.inFlight.set(token, this.now());
    return promise.finally(() => this.inFlight.delete(token));
  }
}

interface Watched {
  readonly name: string;
  readonly watch: ConnectionWatch;
  tick(): void;
  close(): Promise<void>;
}

/**
 * Builds reconnecting producers and consumers on one set of options, checks them every second and
 * answers for all of them: `checkReachable` for /readyz, `checkLive` for /healthz.
 */
export class KafkaClients {
  private readonly options: Resolved;
  private readonly clients: Watched[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    options: KafkaClientOptions,
    private readonly log: Logger,
  ) {
    this.options = resolve(options);
    this.timer = setInterval(() => {
      for (const c of this.clients) c.tick();
    }, 1000);
    this.timer.unref();
  }

  producer(name: string, config: ProducerConfig = {}): ReconnectingProducer {
    const producer = new ReconnectingProducer(name, this.options, config, this.log);
    this.clients.push(producer);
    return producer;
  }

  consumer(name: string, config: ConsumerConfig): ReconnectingConsumer {
    const consumer = new ReconnectingConsumer(name, this.options, config, this.log);
    this.clients.push(consumer);
    return consumer;
  }

  /** Rejects naming each client that cannot reach the brokers now. */
  async checkReachable(): Promise<void> {
    const problems = this.clients.map((c) => [c.name, c.watch.problem()] as const).filter(([, p]) => p !== null);
    if (problems.length) throw new Error(problems.map(([n, p]) => `${n}: ${p}`).join('; '));
  }

  /** Rejects only when a client is wedged beyond what rebuilding can fix. */
  async checkLive(): Promise<void> {
    const problems = this.clients.map((c) => [c.name, c.watch.wedged()] as const).filter(([, p]) => p !== null);
    if (problems.length) throw new Error(problems.map(([n, p]) => `${n}: ${p}`).join('; '));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.clients.map((c) => c.close()));
  }
}

function watchFor(options: Resolved, expectsSteadyProgress: boolean): ConnectionWatch {
  return new ConnectionWatch({ stallAfterMs: options.stallAfterMs, wedgedAfterMs: options.wedgedAfterMs, rebuildBackoff: options.rebuildBackoff, expectsSteadyProgress });
}

/** How many times one send goes back to kafkajs for records it resolved without acknowledging. */
const UNACKNOWLEDGED_RESENDS = 5;

/**
 * A kafkajs producer that is replaced by a new client (with backoff) when its connection stops
 * answering. Sends go out one at a time: after a request timeout kafkajs rolls the idempotent
 * producer's sequence numbers back while the timed-out request may still be written later, so a
 * concurrent send could reuse its sequence number, be answered as a duplicate and never be written.
 * A send resolves only once every record's partition is acknowledged: kafkajs alone can resolve
 * without sending the records of a partition whose leader moved (partition-ledger.ts).
 */
export class ReconnectingProducer implements Watched {
  readonly watch: ConnectionWatch;
  private client: { producer: Producer; connecting: Promise<void> | null };
  private closed = false;
  private previous: Promise<unknown> = Promise.resolve();
  private readonly ledger = new PartitionLedger();

  constructor(
    readonly name: string,
    private readonly options: Resolved,
    private readonly config: ProducerConfig,
    private readonly log: Logger,
  ) {
    this.watch = watchFor(options, false);
    this.client = this.build();
  }

  private build() {
    const createPartitioner = this.ledger.recording(this.config.createPartitioner ?? Partitioners.DefaultPartitioner);
    const producer = createKafka(this.options).producer({ ...this.config, createPartitioner });
    const client = { producer, connecting: null as Promise<void> | null };
    producer.on(producer.events.REQUEST_TIMEOUT, () => {
      if (this.client === client) this.watch.failure(deadConnection('request timed out'));
    });
    producer.on(producer.events.DISCONNECT, () => {
      client.connecting = null;
      if (this.client === client) this.watch.disconnected();
    });
    return client;
  }

  /** Connects the current client (once); rejects if the brokers cannot be reached. */
  connect(): Promise<void> {
    const client = this.client;
    client.connecting ??= this.watch.track(client.producer.connect()).then(
      () => {
        if (this.client === client) this.watch.connectedNow();
      },
      (err: unknown) => {
        client.connecting = null;
        if (this.client === client) this.watch.failure(err);
        throw err;
      },
    );
    return client.connecting;
  }

  send({ topic, messages, ...options }: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ ...options, topicMessages: [{ topic, messages }] });
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.call((p) => this.sendEveryRecord(p, batch));
  }

  /** kafkajs' sendBatch, then again for the records whose partition it did not acknowledge (partition-ledger.ts). */
  private async sendEveryRecord(producer: Producer, batch: ProducerBatch): Promise<RecordMetadata[]> {
    const acknowledged: RecordMetadata[] = [];
    let pending: TopicMessages[] = batch.topicMessages ?? [];
    for (let attempt = 1; ; attempt++) {
      const answer = await producer.sendBatch({ ...batch, topicMessages: pending });
      acknowledged.push(...answer);
      if (batch.acks === 0) return acknowledged; // nothing is acknowledged to check against
      const skipped = this.ledger.unacknowledged(pending, answer);
      if (skipped.length === 0) return acknowledged;
      const records = skipped.reduce((n, t) => n + t.messages.length, 0);
      const where = this.ledger.describe(skipped);
      if (attempt >= UNACKNOWLEDGED_RESENDS) throw new Error(`kafka send resolved ${attempt} times without acknowledging ${records} records (${where})`);
      this.log.warn({ kafka_client: this.name, records, partitions: where, attempt }, 'kafkajs resolved a send without sending every record (a partition leader moved); sending those again');
      pending = skipped;
    }
  }

  private call<T>(op: (producer: Producer) => Promise<T>): Promise<T> {
    const result = this.previous.then(() => this.callNow(op));
    this.previous = result.catch(() => {});
    return result;
  }

  private async callNow<T>(op: (producer: Producer) => Promise<T>): Promise<T> {
    this.tick();
    const client = this.client;
    await this.connect();
    try {
      const result = await this.watch.track(op(client.producer));
      if (this.client === client) this.watch.progress();
      return result;
    } catch (err) {
      if (this.client === client) this.watch.failure(err);
      this.tick();
      throw err;
    }
  }

  /** Rebuilds when due; keeps connecting a client that is not connected (a success turns readiness green). */
  tick(): void {
    if (this.closed) return;
    if (this.watch.shouldRebuild()) {
      const old = this.client;
      this.watch.rebuilt();
      this.log.warn({ kafka_client: this.name, attempt: this.watch.attempts, err: this.watch.problem() }, 'kafka connection stopped answering: rebuilding the client');
      this.client = this.build();
      // Not awaited: against a frozen broker disconnect() waits for its requests to time out.
      void old.producer.disconnect().catch(() => {});
    }
    if (!this.client.connecting && this.watch.problem() !== null) this.connect().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.producer.disconnect().catch((err: unknown) => this.log.warn({ kafka_client: this.name, err: errorText(err) }, 'producer disconnect failed'));
  }
}

interface ConsumerClient {
  consumer: Consumer;
  /** Set when kafkajs gave up on this client (it never restarts one here). */
  crashed: string | null;
}

/** Longest wait for an old consumer to leave before its replacement starts (its handler may still run). */
const CONSUMER_TEARDOWN_MS = 30_000;
/** Longest wait for a replacement to connect, subscribe and join (kafkajs' default rebalance timeout is 60 s). */
const CONSUMER_START_MS = 90_000;

/**
 * A kafkajs consumer (same connect/subscribe/run/disconnect calls) that is replaced by a new client,
 * with backoff, when it stalls: a request timed out, it crashed without restarting itself, or it
 * neither fetched nor heartbeated for a while although no handler was running. The replacement
 * connects, subscribes and runs with what the first one was given; offsets not yet committed are
 * fetched again (handlers must be idempotent, as they already are for rebalances).
 */
export class ReconnectingConsumer implements Watched {
  readonly watch: ConnectionWatch;
  private client: ConsumerClient;
  private readonly subscriptions: ConsumerSubscribeTopics[] = [];
  private runConfig: ConsumerRunConfig | null = null;
  private startFailed = false;
  private rebuilding: Promise<void> | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: Resolved,
    private readonly config: ConsumerConfig,
    private readonly log: Logger,
  ) {
    this.watch = watchFor(options, true);
    this.client = this.build();
  }

  private build() {
    // kafkajs restarts a crashed consumer by itself (same object, after a timer). With this wrapper
    // also rebuilding, such a self-restart could rejoin the group after its replacement did: a second
    // member whose handlers no longer resolve anything, holding partitions that then never move. So
    // kafkajs never restarts on its own here; a crash marks the client dead and it is rebuilt.
    const consumer = createKafka(this.options).consumer({ ...this.config, retry: { ...this.options.retry, ...this.config.retry, restartOnFailure: async () => false } });
    const client: ConsumerClient = { consumer, crashed: null };
    const mine = () => this.client === client;
    const { events } = consumer;
    for (const event of [events.FETCH, events.HEARTBEAT, events.COMMIT_OFFSETS]) {
      consumer.on(event, () => {
        if (mine()) this.watch.progress();
      });
    }
    consumer.on(events.REBALANCING, () => {
      if (mine()) this.watch.joinStarted();
    });
    consumer.on(events.GROUP_JOIN, () => {
      if (mine()) this.watch.joined();
    });
    consumer.on(events.REQUEST_TIMEOUT, () => {
      if (mine()) this.watch.failure(deadConnection('request timed out'));
    });
    consumer.on(events.CRASH, (e) => {
      this.log.error({ kafka_client: this.name, err: errorText(e.payload.error), restart: e.payload.restart }, 'kafka consumer crashed');
      client.crashed = `crashed: ${errorText(e.payload.error)}`;
      if (!mine()) return;
      this.watch.failure(e.payload.error);
      // kafkajs gave up on this client (it never restarts here): nothing fetches again unless it is replaced.
      this.watch.gaveUp(client.crashed);
    });
    return client;
  }

  private async tracked<T>(client: ConsumerClient, call: (consumer: Consumer) => Promise<T>): Promise<T> {
    try {
      return await this.watch.track(call(client.consumer));
    } catch (err) {
      if (this.client === client) this.watch.failure(err);
      throw err;
    }
  }

  /*
   * connect/subscribe/run as in kafkajs, but a failure does not reject: it is logged, and once run()
   * has been called the client is rebuilt and started again in the background (so a consumer can
   * start while the brokers cannot be reached; readiness says so meanwhile).
   */
  async connect(): Promise<void> {
    await this.attempt(() => this.tracked(this.client, (c) => c.connect()));
  }

  async subscribe(subscription: ConsumerSubscribeTopics): Promise<void> {
    this.subscriptions.push(subscription);
    if (!this.startFailed) await this.attempt(() => this.tracked(this.client, (c) => c.subscribe(subscription)));
  }

  async run(config: ConsumerRunConfig): Promise<void> {
    this.runConfig = config;
    const client = this.client;
    if (this.startFailed) return;
    await this.attempt(async () => {
      this.watch.joinStarted();
      await this.runClient(client, config);
      if (this.client === client) this.watch.connectedNow();
    });
  }

  /** kafkajs' run() resolves even when the join crashed (kafkajs' runner.start() catches it): that is a failed start. */
  private async runClient(client: ConsumerClient, config: ConsumerRunConfig): Promise<void> {
    await this.tracked(client, (c) => c.run(this.instrumented(config, client)));
    if (client.crashed !== null) throw new Error(client.crashed);
  }

  private async attempt(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.startFailed = true;
      this.log.warn({ kafka_client: this.name, err: errorText(err) }, 'kafka consumer could not start; retrying in the background');
    }
  }

  /**
   * Marks handler time as busy, so a long batch is not mistaken for a stalled connection; and once
   * this client has been replaced, its handlers stop: a batch not started is skipped, a running one
   * sees `isRunning() === false` (nothing more is resolved by it; the replacement fetches it again).
   */
  private instrumented(run: ConsumerRunConfig, client: ConsumerClient): ConsumerRunConfig {
    const current = () => this.client === client;
    const busy = async (work: () => Promise<void>) => {
      if (!current()) {
        // A replaced client still fetching (its leave timed out): make it leave now, so the group
        // hands its partitions to the replacement. Not awaited: disconnect waits for this handler.
        void client.consumer.disconnect().catch(() => {});
        return;
      }
      this.watch.batchStarted();
      try {
        await work();
      } finally {
        if (current()) this.watch.batchEnded();
      }
    };
    const { eachBatch, eachMessage } = run;
    return {
      ...run,
      eachBatch:
        eachBatch &&
        ((payload: EachBatchPayload) =>
          busy(() =>
            eachBatch({
              ...payload,
              isRunning: () => payload.isRunning() && current(),
              resolveOffset: (offset) => {
                if (current()) payload.resolveOffset(offset);
              },
            }),
          )),
      eachMessage: eachMessage && ((payload: EachMessagePayload) => busy(() => eachMessage(payload))),
    };
  }

  tick(): void {
    if (this.closed || !this.runConfig || this.rebuilding || !this.watch.shouldRebuild()) return;
    this.rebuilding = this.rebuild().finally(() => (this.rebuilding = null));
  }

  private async rebuild(): Promise<void> {
    const old = this.client;
    const runConfig = this.runConfig!;
    const reason = this.watch.problem();
    this.watch.rebuilt();
    this.log.warn({ kafka_client: this.name, attempt: this.watch.attempts, err: reason }, 'kafka consumer stalled: rebuilding the client');
    const client = this.build();
    this.client = client;
    // Let the old one finish its handler and leave (bounded: against a frozen broker leaving times out).
    await Promise.race([old.consumer.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, CONSUMER_TEARDOWN_MS).unref())]);
    if (this.closed) return;
    const replay = async () => {
      await this.tracked(client, (c) => c.connect());
      for (const subscription of this.subscriptions) await this.tracked(client, (c) => c.subscribe(subscription));
      if (this.client === client) this.watch.joinStarted();
      await this.runClient(client, runConfig);
    };
    let timer: NodeJS.Timeout | undefined;
    // Bounded, so a start that hangs cannot block the next rebuild (a join may wait for old members).
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(deadConnection(`rebuilt consumer did not start within ${CONSUMER_START_MS / 1000}s`)), CONSUMER_START_MS);
    });
    try {
      await Promise.race([replay(), deadline]);
      if (this.client === client) this.watch.connectedNow();
      this.startFailed = false;
      this.log.info({ kafka_client: this.name }, 'rebuilt kafka consumer is running');
    } catch (err) {
      if (this.client === client) this.watch.failure(err);
      this.log.warn({ kafka_client: this.name, err: errorText(err) }, 'rebuilt kafka consumer could not start; will try again');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets running handlers finish, commits resolved offsets and leaves the group. */
  async disconnect(): Promise<void> {
    this.closed = true;
    await this.rebuilding;
    await this.client.consumer.disconnect();
  }

  async close(): Promise<void> {
    await this.disconnect().catch((err: unknown) => this.log.warn({ kafka_client: this.name, err: errorText(err) }, 'consumer disconnect failed'));
  }
}

function deadConnection(message: string): Error {
  return Object.assign(new Error(message), { name: 'KafkaJSRequestTimeoutError' });
}
