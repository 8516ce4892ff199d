import { TOPICS } from '@usersys/event-schema';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeUndrained, isDrained, relaysBacklog, type DrainReading } from './drain';

const partition = (p: number, end: number, committed: number | null) => ({ topic: TOPICS.events, partition: p, end, committed, lag: end - (committed ?? 0) });

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

describe('relaysBacklog (one relay per command replica)', () => {
  const servers: http.Server[] = [];
  const relay = async (metrics: string | null): Promise<string> => {
    const server = http.createServer((_req, res) => (metrics === null ? res.writeHead(500).end() : res.writeHead(200).end(metrics)));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(() => servers.forEach((s) => s.close()));

  it('sums every log of every relay, and is unreadable when one relay is', async () => {
    const a = await relay('# HELP x\nkafka_producer_wal_backlog{log="user-command-1"} 3\nkafka_producer_wal_backlog{log="auth-gateway-1-audit"} 1\n');
    const b = await relay('kafka_producer_wal_backlog{log="user-command-2"} 5\nother_metric 9\n');
    expect(await relaysBacklog([a, b])).toBe(9);
    expect(await relaysBacklog([a, b, await relay(null)])).toBeNull();
  });
});
