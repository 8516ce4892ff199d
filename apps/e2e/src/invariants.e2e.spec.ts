import { selectedFaults } from './invariants/faults';
import { seedFromEnv } from './invariants/prng';
import { adminToken, startPrivateSystem, type PrivateSystem } from './invariants/private-system';
import { brokenPromises, runFaultsUnderLoad } from './invariants/run';

// Issue 12: "202 means it will happen or you will be told why; nothing is lost", tried under one
// fault at a time while sign-ups, updates and deletes run through the gateway. Private Redis,
// PostgreSQL and Kafka (the suite kills and freezes them). Seeded: INVARIANT_SEED=<seed> repeats a
// run's workload; INVARIANT_FAULTS=<names> runs a subset. README.md "Invariant suite" explains the
// summary columns.
const SEED = seedFromEnv();
/** Requests started per second; INVARIANT_RATE overrides (a lower rate comes closer to an idle system). */
const RATE_PER_SECOND = Number(process.env.INVARIANT_RATE ?? 15);
/** No new fault starts after this much of the test's time: the whole file stays under 10 minutes. */
const FAULT_BUDGET_MS = 6.5 * 60_000;
const TEST_TIMEOUT_MS = 11 * 60_000;
const say = (line: string) => process.stdout.write(`[invariants] ${line}\n`);

describe(`invariants under faults (seed ${SEED})`, () => {
  let ps: PrivateSystem;

  beforeAll(async () => {
    say(`seed ${SEED} (repeat with INVARIANT_SEED=${SEED})`);
    ps = await startPrivateSystem();
  }, 240_000);
  afterAll(async () => {
    await ps?.stop();
  }, 120_000);

  it('every accepted request ends in one readable outcome; nothing refused is written; nothing duplicated; the relay drains', async () => {
    const gateway = ps.system.gateway;
    const target = {
      system: ps,
      gateway,
      adminToken: await adminToken(gateway),
      relays: [`http://127.0.0.1:${ps.system.services.portOf('wal-relay')}`],
      brokers: ps.kafka.url,
      consumerGroup: ps.consumerGroup,
      databaseUrl: ps.databaseUrl,
    };
    const { problems } = await runFaultsUnderLoad(target, selectedFaults(), { seed: SEED, ratePerSecond: RATE_PER_SECOND, label: 'invariants', faultBudgetMs: FAULT_BUDGET_MS, testTimeoutMs: TEST_TIMEOUT_MS });
    if (problems.length > 0) throw brokenPromises('invariants', SEED, problems);
  }, TEST_TIMEOUT_MS);
});
