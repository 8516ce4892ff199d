import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * A Redis client that fails fast while Redis is down (no offline queue, short command timeout) so
 * callers can apply their own failure rule (503, fallback limiter, database fallback) instead of
 * stalling requests; it keeps reconnecting in the background.
 */
export function createRedisClient(url: string, log: Logger, options: { commandTimeoutMs?: number } = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let down = false;
  client.on('error', (err) => {
    if (!down) log.warn({ err: err.message }, 'redis unavailable');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('redis reachable again');
    down = false;
  });
  return client;
}

/** Waits for the first connection (or its failure) without failing start-up: Redis may come later. */
export function redisReady(client: Redis, timeoutMs = 5000): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
