import { clusterTopology, startServices, type RunningServices } from '@usersys/service-runner';
import { createLogger } from '@usersys/logger';
import { createRedisClient, ownerOf, type RedisClient } from '@usersys/service-kit';
import { freePort } from '@usersys/test-infra';
import { requestKey } from '@usersys/user-cache';
import path from 'node:path';
import { json, loginAs, signUp, systemEnv, uniqueUser, untilApplied } from './harness';

/**
 * Per-username order across user-command replicas, on the shared infrastructure: two gateways and
 * two user-command replicas (each with its own WAL and wal-relay) routing by rendezvous hashing, one
 * consumer. A username's updates taken alternately by both gateways end in the last accepted value,
 * also when the replica that owns the name is SIGKILLed in the middle of the stream and its WAL is
 * relayed after its restart.
 */
describe('per-username order across user-command replicas', () => {
  let services: RunningServices;
  let redis: RedisClient;
  let gateways: string[];
  let commandUrls: string[];

  beforeAll(async () => {
    const env = await systemEnv();
    const ports = async (n: number) => Promise.all(Array.from({ length: n }, () => freePort()));
    const instances = clusterTopology({ gatewayPorts: await ports(2), commandPorts: await ports(2), relayPorts: await ports(2), consumerPorts: await ports(1), walRoot: env.WAL_DIR, trustProxy: 'false' });
    services = await startServices({ instances, env, logDir: path.join(__dirname, '../../../.data/logs/e2e-replicas'), healthTimeoutMs: 120_000 });
    gateways = ['auth-gateway-1', 'auth-gateway-2'].map((name) => services.urlOf(name));
    commandUrls = ['user-command-1', 'user-command-2'].map((name) => services.urlOf(name));
    redis = createRedisClient({ redisUrl: env.REDIS_URL, redisKeyPrefix: env.REDIS_KEY_PREFIX }, createLogger('e2e', { level: 'silent' }));
  }, 300_000);
  afterAll(async () => {
    redis?.disconnect();
    await services?.stop();
  });

  /** A user signed up, applied, logged in; and the user-command instance that owns the name. */
  async function activeUser(prefix: string) {
    const user = uniqueUser(prefix);
    await untilApplied(gateways[0], await signUp(gateways[0], user));
    const { accessToken } = await loginAs(gateways[1], user.username, user.password);
    const owner = `user-command-${commandUrls.indexOf(ownerOf(commandUrls, user.username)) + 1}`;
    return { ...user, accessToken, owner };
  }

  /**
   * One nickname update through `gateway`, retried while the answer says nothing was written (503:
   * the owner is down or restarting). 202 → its request id; 504 (the owner died holding it: may or
   * may not be in its WAL) → null, the value is not counted as accepted.
   */
  let refusals = 0;
  async function update(gateway: string, user: { username: string; accessToken: string }, nickname: string): Promise<string | null> {
    for (;;) {
      const res = await fetch(`${gateway}/v1/users/${user.username}`, { method: 'PATCH', headers: { ...json, authorization: `Bearer ${user.accessToken}` }, body: JSON.stringify({ nickname }) }).catch(() => null);
      if (res?.status === 202) return ((await res.json()) as { requestId: string }).requestId;
      if (res?.status === 504) return null;
      if (res && res.status !== 503) throw new Error(`update answered ${res.status}: ${await res.text()}`);
      refusals++;
      await new Promise((r) => setTimeout(r, Number(res?.headers.get('retry-after') ?? 1) * 200));
    }
  }

  const nicknameOf = async (user: { username: string; accessToken: string }) => {
    const res = await fetch(`${gateways[0]}/v1/users/${user.username}`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    return ((await res.json()) as { nickname: string | null }).nickname;
  };
  const walOf = async (requestId: string) => (JSON.parse((await redis.get(requestKey(requestId))) ?? '{}') as { wal?: string }).wal;

  it('alternating updates through both gateways go through one replica and end in the last accepted value', async () => {
    const user = await activeUser('alt');
    const accepted: Array<{ requestId: string; nickname: string }> = [];
    for (let i = 0; i < 20; i++) {
      const nickname = `alt-${i}`;
      const requestId = await update(gateways[i % 2], user, nickname);
      if (!requestId) throw new Error('no replica was killed: a 504 is a failure here');
      accepted.push({ requestId, nickname });
    }
    // Both gateways sent every write for the name to its owner, so one WAL holds them all.
    const wals = new Set(await Promise.all(accepted.map((a) => walOf(a.requestId))));
    expect([...wals]).toEqual([user.owner]);
    for (const { requestId } of accepted) await untilApplied(gateways[1], requestId);
    expect(await nicknameOf(user)).toBe(accepted[accepted.length - 1].nickname);
  });

  it('the owner SIGKILLed mid-stream: writes for its names wait (503) until it is back, its WAL is relayed, the last accepted value wins', async () => {
    const user = await activeUser('kill');
    refusals = 0;
    const accepted: Array<{ requestId: string; nickname: string }> = [];
    let outage: Promise<void> | undefined;
    let restarted = false;
    let acceptedAfterRestart = 0;
    for (let i = 0; acceptedAfterRestart < 5; i++) {
      if (i === 5) outage = services.kill(user.owner).then(() => services.restart(user.owner)).then(() => void (restarted = true));
      const wasRestarted = restarted;
      const nickname = `kill-${i}`;
      const requestId = await update(gateways[i % 2], user, nickname);
      if (requestId) accepted.push({ requestId, nickname });
      if (requestId && wasRestarted) acceptedAfterRestart++;
    }
    await outage;
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    expect(refusals).toBeGreaterThan(0); // the stream really met the outage: writes for the name were refused, not sent elsewhere
    // Nothing accepted is lost (the WAL the killed replica wrote before dying is relayed), and the order held.
    for (const { requestId } of accepted) await untilApplied(gateways[0], requestId, 90_000);
    expect(new Set(await Promise.all(accepted.map((a) => walOf(a.requestId))))).toEqual(new Set([user.owner]));
    expect(await nicknameOf(user)).toBe(accepted[accepted.length - 1].nickname);
  });
});
