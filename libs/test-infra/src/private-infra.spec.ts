import net from 'node:net';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from './private-infra';

/** Sends a Redis PING and resolves whether +PONG came back within `timeoutMs`. */
function pongs(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    const done = (ok: boolean) => (socket.destroy(), clearTimeout(timer), resolve(ok));
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('private infrastructure (real processes via tools/infra.sh)', () => {
  jest.setTimeout(120_000);
  const started: PrivateService[] = [];
  afterAll(async () => {
    for (const s of started) await s.destroy();
  });

  it.each([['redis', startPrivateRedis], ['postgres', startPrivatePostgres]] as const)('%s can be killed, restarted and stopped', async (_name, start) => {
    const service = await start();
    started.push(service);
    expect(await answers(service.port)).toBe(true);
    await service.kill();
    expect(await answers(service.port)).toBe(false);
    await service.start();
    expect(await answers(service.port)).toBe(true);
    await service.stop();
    expect(await answers(service.port)).toBe(false);
  });

  it('freeze() leaves the process silent until thaw()', async () => {
    const redis = await startPrivateRedis();
    started.push(redis);
    expect(await pongs(redis.port)).toBe(true);
    await redis.freeze();
    expect(await pongs(redis.port)).toBe(false);
    await redis.thaw();
    expect(await pongs(redis.port)).toBe(true);
  });
});
