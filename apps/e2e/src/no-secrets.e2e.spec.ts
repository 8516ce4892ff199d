import { TOPICS } from '@usersys/event-schema';
import { fetchTopicOffsetsWhenLed } from '@usersys/test-infra';
import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady } from '@usersys/service-kit';
import { Cluster, type Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { poll, signUp, startSystem, uniqueUser, untilApplied, type System } from './harness';

// Everything the system wrote while serving sign-ups, logins, refreshes, a password change and a
// failed login (log files, WAL segments, Kafka messages on every topic, Redis values) is searched
// for the plaintext passwords, tokens and secrets it handled: none may appear anywhere.
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const LOG_DIR = path.resolve(__dirname, '../../../.data/logs/e2e');
const json = { 'content-type': 'application/json' };

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('no plaintext password, token or secret is ever written anywhere', () => {
  const run = randomUUID().slice(0, 8);
  const walDir = path.join(os.tmpdir(), `usersys-e2e-secrets-wal-${run}`);
  const group = `e2e-secrets-reader-${run}`;
  const adminName = `e2e_secrets_admin_${run}`; // the admin is created once per name: a new one per run
  const secrets = {
    JWT_SECRET: `jwt-secret-${randomUUID()}`,
    INTERNAL_TOKEN: `internal-token-${randomUUID()}`,
    ADMIN_PASSWORD: `admin-pw-${randomUUID().slice(0, 12)}`,
  };
  let system: System;
  let stopped = false;

  beforeAll(async () => {
    // The reader below starts at today's end of every topic: it sees only what this test produced.
    const admin = new Kafka({ clientId: 'e2e-secrets-admin', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    for (const topic of Object.values(TOPICS)) {
      const offsets = await fetchTopicOffsetsWhenLed(admin, topic);
      await admin.setOffsets({ groupId: group, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    }
    await admin.disconnect();
    system = await startSystem({ ...secrets, LOGIN_RATE_LIMIT: '100000', ADMIN_USERNAME: adminName, ADMIN_EMAIL: `${adminName}@usersys.local`, ADMIN_PHONE: `+1999${String(Date.now()).slice(-7)}`, WAL_DIR: walDir, LOG_LEVEL: 'debug', WAL_ACKED_SEGMENTS: 'keep' });
  });
  afterAll(async () => {
    if (!stopped) await system?.stop();
  });

  it('finds none of them in logs, WAL, Kafka or Redis', async () => {
    const found: string[] = [...Object.values(secrets)];
    const user = uniqueUser('secret');
    const newPassword = `new-${user.password}`;
    const wrongPassword = `wrong-${user.password}`;
    found.push(user.password, newPassword, wrongPassword);

    await untilApplied(system.gateway, await signUp(system.gateway, user));

    const login = (password: string) => fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: user.username, password }) });
    const firstRes = await login(user.password);
    expect(firstRes.status).toBe(200);
    const first = (await firstRes.json()) as { accessToken: string; refreshToken: string };
    const second = (await (await login(user.password)).json()) as { accessToken: string; refreshToken: string }; // credential-cache hit
    const refreshed = (await (await fetch(`${system.gateway}/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: first.refreshToken }) })).json()) as { accessToken: string; refreshToken: string };
    expect((await login(wrongPassword)).status).toBe(401);
    const patch = await fetch(`${system.gateway}/v1/users/${user.username}`, { method: 'PATCH', headers: { ...json, authorization: `Bearer ${refreshed.accessToken}` }, body: JSON.stringify({ password: newPassword, currentPassword: user.password }) });
    expect(patch.status).toBe(202);
    await poll('new password works', async () => ((await login(newPassword)).status === 200 ? true : undefined), 60_000, 1000);
    const adminRes = await fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: adminName, password: secrets.ADMIN_PASSWORD }) });
    expect(adminRes.status).toBe(200);
    const admin = (await adminRes.json()) as { accessToken: string; refreshToken: string };
    for (const t of [first, second, refreshed, admin]) found.push(t.accessToken, t.refreshToken);
    for (const s of found) expect(s.length).toBeGreaterThan(8); // every secret is a real, searchable string

    // Let the audit trail, last-login batch and relay flush, then stop so every log line is written.
    await new Promise((r) => setTimeout(r, 3000));
    await system.stop();
    stopped = true;

    const haystacks: { where: string; text: string }[] = [];
    for (const file of [...filesUnder(LOG_DIR), ...filesUnder(walDir)]) haystacks.push({ where: file, text: readFileSync(file).toString('latin1') });
    expect(haystacks.some((h) => h.where.startsWith(walDir))).toBe(true);

    const kafka = new Kafka({ clientId: 'e2e-secrets', brokers: BROKERS, logLevel: logLevel.NOTHING });
    const admin2 = kafka.admin();
    await admin2.connect();
    const topics = Object.values(TOPICS);
    const ends = new Map<string, number>();
    for (const topic of topics) for (const o of await fetchTopicOffsetsWhenLed(admin2, topic)) ends.set(`${topic}/${o.partition}`, Number(o.high));
    const committed = await admin2.fetchOffsets({ groupId: group, topics });
    await admin2.disconnect();
    const remaining = new Set(committed.flatMap((t) => t.partitions.filter((p) => Number(p.offset) < (ends.get(`${t.topic}/${p.partition}`) ?? 0)).map((p) => `${t.topic}/${p.partition}`)));
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    let messages = 0;
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages++;
        const headers = Object.entries(message.headers ?? {}).map(([k, v]) => `${k}=${v?.toString() ?? ''}`).join(' ');
        haystacks.push({ where: `kafka ${topic}/${partition}@${message.offset}`, text: `${message.key?.toString() ?? ''} ${headers} ${message.value?.toString() ?? ''}` });
        if (Number(message.offset) + 1 >= (ends.get(`${topic}/${partition}`) ?? 0)) remaining.delete(`${topic}/${partition}`);
      },
    });
    await poll('every partition read to its end', async () => (remaining.size === 0 ? true : undefined), 30_000);
    await consumer.disconnect();
    expect(messages).toBeGreaterThan(0);

    // Every key under this system's own prefix (harness: one per system), on every master when
    // the tests run on a Redis Cluster: the scan covers exactly what this system wrote.
    const { REDIS_URL, REDIS_KEY_PREFIX, REDIS_CLUSTER_NODES } = system.redisEnv;
    const redis = createRedisClient({ redisUrl: REDIS_URL, redisClusterNodes: REDIS_CLUSTER_NODES?.split(',') ?? [] }, createLogger('e2e', { level: 'silent' }));
    await redisReady(redis);
    const servers: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', `${REDIS_KEY_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const type = await server.type(key);
          const value = type === 'string' ? await server.get(key) : type === 'hash' ? JSON.stringify(await server.hgetall(key)) : type === 'list' ? JSON.stringify(await server.lrange(key, '0', '-1')) : type === 'set' ? JSON.stringify(await server.smembers(key)) : type === 'zset' ? JSON.stringify(await server.zrange(key, '0', '-1')) : '';
          haystacks.push({ where: `redis ${key}`, text: `${key} ${value ?? ''}` });
        }
      } while (cursor !== '0');
    }
    redis.disconnect();

    const leaks = haystacks.flatMap((h) => found.filter((s) => h.text.includes(s)).map((s) => `${h.where} contains ${s.slice(0, 12)}…`));
    expect(leaks).toEqual([]);
    // The search itself can see what it looks for: the user's name is in logs, WAL, Kafka and Redis.
    for (const where of ['.log', walDir, 'kafka ', 'redis ']) expect(haystacks.some((h) => h.where.includes(where) && h.text.includes(user.username))).toBe(true);
  });
});
