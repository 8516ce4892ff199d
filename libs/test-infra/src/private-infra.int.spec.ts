import { DEV_REDIS_PASSWORD, DEV_REDIS_USER } from '@usersys/config';
import net from 'node:net';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from './private-infra';

/** Sends Redis `commands` (inline) and resolves with the replies' text, or null without one within `timeoutMs`. */
function redisSays(port: number, commands: string[], timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    let replies = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(commands.map((c) => `${c}\r\n`).join('')));
    const done = (text: string | null) => (socket.destroy(), clearTimeout(timer), resolve(text));
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('data', (d) => {
      replies += d.toString();
      if (replies.split('\r\n').length > commands.length) done(replies);
    });
    socket.once('error', () => done(null));
  });
}

/** Whether an authenticated PING is answered +PONG within `timeoutMs`. */
async function pongs(port: number, timeoutMs = 1000): Promise<boolean> {
  const replies = await redisSays(port, [`AUTH ${DEV_REDIS_USER} ${DEV_REDIS_PASSWORD}`, 'PING'], timeoutMs);
  return replies === '+OK\r\n+PONG\r\n';
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('private infrastructure (real processes via tools/infra)', () => {
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

  it('redis lets in only the ACL user of the URL (the default user is off)', async () => {
    const redis = await startPrivateRedis();
    started.push(redis);
    expect(redis.url).toBe(`redis://${DEV_REDIS_USER}:${DEV_REDIS_PASSWORD}@127.0.0.1:${redis.port}`);
    expect(await redisSays(redis.port, ['PING'])).toMatch(/^-NOAUTH/);
    expect(await redisSays(redis.port, [`AUTH default ${DEV_REDIS_PASSWORD}`])).toMatch(/^-WRONGPASS/);
    expect(await redisSays(redis.port, [`AUTH ${DEV_REDIS_USER} wrong-password`])).toMatch(/^-WRONGPASS/);
    expect(await pongs(redis.port)).toBe(true);
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
