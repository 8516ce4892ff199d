import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { timeToDrain } from './invariants/drain';
import { readDatabase, readEventIds, settle } from './invariants/evidence';
import { selectedFaults } from './invariants/faults';
import { Prng, seedFromEnv } from './invariants/prng';
import { adminToken, startPrivateSystem, type PrivateSystem } from './invariants/private-system';
import { formatSummary, judge } from './invariants/verdict';
import { Workload } from './invariants/workload';

// Issue 12: "202 means it will happen or you will be told why; nothing is lost", tried under one
// fault at a time while sign-ups, updates and deletes run through the gateway. Private Redis,
// PostgreSQL and Kafka (the suite kills and freezes them). Seeded: INVARIANT_SEED=<seed> repeats a
// run's workload; INVARIANT_FAULTS=<names> runs a subset. README.md "Invariant suite" explains the
// summary columns.
const SEED = seedFromEnv();
/** Requests started per second; INVARIANT_RATE overrides (a lower rate comes closer to an idle system). */
const RATE_PER_SECOND = Number(process.env.INVARIANT_RATE ?? 15);
const LOAD_BEFORE_FAULT_MS = 3000;
/** The fault window ends this long after the broken part answers again. */
const WINDOW_AFTER_HEAL_MS = 8000;
const MIN_ACCEPTED_IN_WINDOW = 50;
const DRAIN_BOUND_MS = 120_000;
const SETTLE_AFTER_LAST_FAULT_MS = 180_000;
/** No new fault starts after this much of the test's time: the whole file stays under 10 minutes. */
const FAULT_BUDGET_MS = 6.5 * 60_000;
const TEST_TIMEOUT_MS = 11 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
    const relay = `http://127.0.0.1:${ps.system.services.portOf('wal-relay')}`;
    const token = await adminToken(gateway);
    const workload = new Workload({ gateway, adminToken: token, prng: new Prng(SEED), ratePerSecond: RATE_PER_SECOND, maxInFlight: 48, clientTimeoutMs: 15_000 });
    const drainMs = new Map<string, number | null>();
    const drainLeft = new Map<string, string>();
    const notRun: string[] = [];
    const started = Date.now();
    let lastHeal = started;
    const faults = selectedFaults();
    try {
      for (const [i, fault] of faults.entries()) {
        if (Date.now() - started > FAULT_BUDGET_MS) {
          notRun.push(...faults.slice(i).map((f) => `${f.name} (out of time)`));
          break;
        }
        workload.phase = fault.name;
        workload.inWindow = false;
        if (!fault.loadAfterInjection) {
          workload.start();
          await sleep(LOAD_BEFORE_FAULT_MS);
        }
        workload.inWindow = true;
        say(`${fault.name}: injecting`);
        await fault.inject(ps);
        workload.start();
        await sleep(fault.holdMs);
        await fault.heal(ps);
        lastHeal = Date.now();
        // Watched from the heal on, while the load goes on: the first moment backlog and lag are both 0.
        const draining = timeToDrain(relay, ps.kafka.url, ps.consumerGroup, lastHeal, DRAIN_BOUND_MS);
        await sleep(WINDOW_AFTER_HEAL_MS);
        workload.inWindow = false;
        await workload.stop();
        const drained = await draining;
        drainMs.set(fault.name, drained.ms);
        if (drained.left !== null) drainLeft.set(fault.name, drained.left);
        say(`${fault.name}: healed; ${drained.ms === null ? `not drained within ${DRAIN_BOUND_MS / 1000}s: ${drained.left}` : `drained ${(drained.ms / 1000).toFixed(1)}s after`}`);
        if (drained.ms === null) {
          // A system that does not recover makes every later fault meaningless: stop here, judge what ran.
          notRun.push(...faults.slice(i + 1).map((f) => `${f.name} (an earlier fault never drained)`));
          break;
        }
      }
    } finally {
      await workload.stop();
    }

    // 180 s after the last fault, but never past the test's own timeout (the evidence still needs reading).
    const { readings, ambiguous } = await settle(gateway, token, workload.requests, Math.min(lastHeal + SETTLE_AFTER_LAST_FAULT_MS, started + TEST_TIMEOUT_MS - 90_000));
    const [db, kafkaEventIds] = await Promise.all([readDatabase(ps.databaseUrl), readEventIds(ps.kafka.url)]);
    const verdict = judge({ requests: workload.requests, readings, ambiguous, ...db, kafkaEventIds, drainMs, drainLeft });

    const count = (pred: (r: (typeof workload.requests)[number]) => boolean) => workload.requests.filter(pred).length;
    const evidenceLine = `evidence: ${workload.requests.length} requests (${count((r) => r.op === 'create')} sign-ups, ${count((r) => r.op === 'update')} updates, ${count((r) => r.op === 'delete')} deletes), ${db.rows.length} users rows, ${[...db.appliedCreates.values()].reduce((a, b) => a + b, 0)} applied creates, ${kafkaEventIds.size} event ids on ${'user.events.v1'}`;
    const lines = [`seed ${SEED}`, evidenceLine, ...verdict.phases.map(formatSummary), ...notRun.map((f) => `not run: ${f}`)];
    for (const line of lines) say(line);
    const out = path.join(__dirname, '../../../.data/test-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'invariants.txt'), [...lines, '', ...verdict.violations].join('\n') + '\n');

    const problems = [...verdict.violations];
    for (const p of verdict.phases) {
      if (p.phase === 'warm-up') continue;
      if (p.acceptedInWindow < MIN_ACCEPTED_IN_WINDOW) problems.push(`[${p.phase}] only ${p.acceptedInWindow} accepted requests inside the fault window (need ${MIN_ACCEPTED_IN_WINDOW})`);
      if (typeof p.drainMs === 'number' && p.drainMs > DRAIN_BOUND_MS) problems.push(`[${p.phase}] took ${p.drainMs} ms to drain`);
    }
    for (const f of notRun) problems.push(`not run: ${f}`);
    if (problems.length > 0) throw new Error(`invariants broken (seed ${SEED}; repeat with INVARIANT_SEED=${SEED}), ${problems.length} problem(s):\n${problems.slice(0, 60).join('\n')}${problems.length > 60 ? `\n… and ${problems.length - 60} more (.data/test-results/invariants.txt)` : ''}`);
  }, TEST_TIMEOUT_MS);
});
