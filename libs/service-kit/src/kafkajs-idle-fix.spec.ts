import { KafkajsRequestQueue } from './kafkajs-idle-fix';

const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const queues: Array<{ destroy(): void }> = [];
const newQueue = () => {
  const queue = new KafkajsRequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'b:9092', logger });
  queues.push(queue as unknown as { destroy(): void });
  return queue;
};
afterEach(() => queues.splice(0).forEach((q) => q.destroy())); // clears a pending check timer, so a failure cannot keep jest alive

function request(correlationId: number, onSend: () => void) {
  return { entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 7, resolve: () => {}, reject: () => {} }, expectResponse: true, sendRequest: onSend };
}

describe('kafkajs RequestQueue without the idle timer loop', () => {
  it('schedules nothing when no request waits (kafkajs 2.2.4 started a 1 ms loop here)', () => {
    const queue = newQueue();
    queue.checkPendingRequests(); // what every answered request runs
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still sends a request held back by broker throttling once the throttle ends', async () => {
    const queue = newQueue() as ReturnType<typeof newQueue> & { maybeThrottle(ms: number): void; push(r: unknown): void };
    queue.maybeThrottle(30);
    const sent = new Promise<void>((resolve) => queue.push(request(1, resolve)));
    expect(queue.pending).toHaveLength(1);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await sent;
    expect(queue.pending).toHaveLength(0);
  });

  it('sends a request that waited for the in-flight limit when the one in flight is answered', async () => {
    const queue = newQueue() as ReturnType<typeof newQueue> & { push(r: unknown): void; fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void };
    let firstSent = false;
    queue.push(request(1, () => (firstSent = true)));
    const secondSent = new Promise<void>((resolve) => queue.push(request(2, resolve)));
    expect(firstSent).toBe(true);
    expect(queue.pending).toHaveLength(1);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    await secondSent;
    expect(queue.pending).toHaveLength(0);
  });
});
