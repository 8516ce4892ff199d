import { dbClient, json, loginAs, poll, signUp, uniqueUser, untilApplied } from './harness';
import { CLUSTER_FAULTS } from './invariants/cluster-faults';
import { notReady, startClusterSystem, type ClusterSystem } from './invariants/cluster-system';
import { selectFaults } from './invariants/faults';
import { seedFromEnv } from './invariants/prng';
import { adminToken } from './invariants/private-system';
import { brokenPromises, runFaultsUnderLoad } from './invariants/run';

// Issue 14, "Done means": the replicated topology (HAProxy, 2 gateways, 2 user-command replicas each
// with its WAL and relay, 3 consumers, 3 Kafka brokers, a Redis Cluster of 3+3) on private
// infrastructure, started once for the file: sign-up and login through HAProxy, one username's
// alternating updates through both gateways, and the invariant suite's verdict under a cluster's
// faults (a broker, a Redis master, a command replica, a consumer, a gateway killed). Seeded like
// the single-mode suite (INVARIANT_SEED, INVARIANT_FAULTS, INVARIANT_RATE).
const SEED = seedFromEnv();
const RATE_PER_SECOND = Number(process.env.INVARIANT_RATE ?? 15);
/** No new fault starts after this much of the fault test's time: the whole file stays under 12 minutes (tools/run-tests.ts stops it at 15). */
const FAULT_BUDGET_MS = 6 * 60_000;
const FAULT_TEST_TIMEOUT_MS = 9 * 60_000;
const say = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

async function patch(gateway: string, token: string, username: string, body: object): Promise<{ status: number; requestId?: string }> {
  const res = await fetch(`${gateway}/v1/users/${encodeURIComponent(username)}`, { method: 'PATCH', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const answer = (await res.json().catch(() => ({}))) as { requestId?: string };
  return { status: res.status, requestId: answer.requestId };
}

describe(`cluster topology (seed ${SEED})`, () => {
  let cs: ClusterSystem;

  beforeAll(async () => {
    say(`seed ${SEED} (repeat with INVARIANT_SEED=${SEED})`);
    const started = Date.now();
    cs = await startClusterSystem();
    say(`cluster up in ${((Date.now() - started) / 1000).toFixed(0)}s: ${cs.services.instances.map((i) => i.name).join(', ')} behind ${cs.gateway}`);
  }, 300_000);
  afterAll(async () => {
    await cs?.stop();
  }, 180_000);

  it('every replica answers /readyz; a sign-up through HAProxy ends active and the user logs in through HAProxy', async () => {
    // A readiness check may miss a beat on a busy machine: each replica must answer 200 within a bound.
    const unready = await poll('every replica ready', async () => {
      const names = await notReady(cs);
      return names.length === 0 ? names : undefined;
    }, 30_000).catch(async () => notReady(cs));
    expect(unready).toEqual([]);
    const perApp = Object.fromEntries(['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'].map((app) => [app, cs.services.instances.filter((i) => i.app === app).length]));
    expect(perApp).toEqual({ 'auth-gateway': 2, 'user-command': 2, 'wal-relay': 2, 'user-consumer': 3 });
    const user = uniqueUser('cl');
    await untilApplied(cs.gateway, await signUp(cs.gateway, user));
    const tokens = await loginAs(cs.gateway, user.username, user.password);
    const state = await fetch(`${cs.gateway}/v1/users/${user.username}/state`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect([state.status, ((await state.json()) as { state: string }).state]).toEqual([200, 'active']);
  }, 120_000);

  it("a username's alternating updates through both gateways end in the last accepted value", async () => {
    const user = uniqueUser('alt');
    await untilApplied(cs.gateway, await signUp(cs.gateway, user));
    const token = (await loginAs(cs.gateway, user.username, user.password)).accessToken;
    const direct = cs.gateways.map((g) => cs.services.urlOf(g));
    const accepted: { nickname: string; requestId: string }[] = [];
    // One relay frozen while the updates are accepted, and until the last one is applied (unless it
    // sits in the frozen relay's WAL: then it waits for the thaw). Had two replicas' WALs taken this
    // username's writes, the frozen one's would reach Kafka after the other's, and an older value would win.
    const frozenRelay = cs.services.processes.get(cs.relays[0])!.pid!;
    process.kill(frozenRelay, 'SIGSTOP');
    try {
      for (let i = 0; i < 20; i++) {
        const nickname = `alt-${i}`;
        const answer = await patch(direct[i % direct.length], token, user.username, { nickname });
        if (answer.status === 202 && answer.requestId) accepted.push({ nickname, requestId: answer.requestId });
      }
      if (accepted.length > 0) await untilApplied(cs.gateway, accepted.at(-1)!.requestId, 15_000).catch(() => 'in the frozen WAL');
    } finally {
      process.kill(frozenRelay, 'SIGCONT');
    }
    // Without faults every update is accepted; each one then applies (none is dropped for being "older").
    expect(accepted).toHaveLength(20);
    for (const a of accepted) await untilApplied(cs.gateway, a.requestId);
    const db = dbClient(cs.databaseUrl);
    try {
      const [row] = await db.$queryRaw<{ nickname: string | null }[]>`SELECT nickname FROM users WHERE username = ${user.username}`;
      expect(row?.nickname).toBe(accepted.at(-1)!.nickname);
    } finally {
      await db.$disconnect();
    }
    for (const gateway of direct) {
      const res = await fetch(`${gateway}/v1/users/${user.username}`, { headers: { authorization: `Bearer ${token}` } });
      expect(((await res.json()) as { nickname?: string }).nickname).toBe(accepted.at(-1)!.nickname);
    }
  }, 180_000);

  it('under each fault of a cluster: every accepted request ends in one readable outcome; nothing refused is written; nothing duplicated; every relay drains', async () => {
    const target = {
      system: cs,
      gateway: cs.gateway,
      adminToken: await adminToken(cs.gateway),
      relays: cs.relays.map((r) => cs.services.urlOf(r)),
      brokers: cs.brokers,
      consumerGroup: cs.consumerGroup,
      databaseUrl: cs.databaseUrl,
    };
    const { problems } = await runFaultsUnderLoad(target, selectFaults(CLUSTER_FAULTS), {
      seed: SEED,
      ratePerSecond: RATE_PER_SECOND,
      label: 'cluster-invariants',
      faultBudgetMs: FAULT_BUDGET_MS,
      testTimeoutMs: FAULT_TEST_TIMEOUT_MS,
      settleAfterLastFaultMs: 120_000,
    });
    if (problems.length > 0) throw brokenPromises('cluster-invariants', SEED, problems);
  }, FAULT_TEST_TIMEOUT_MS);
});
