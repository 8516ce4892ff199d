import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TOPICS } from '@usersys/event-schema';
import { timeToDrain } from './drain';
import { readDatabase, readEventIds, settle } from './evidence';
import type { Fault } from './faults';
import { Prng } from './prng';
import { formatSummary, judge } from './verdict';
import { Workload } from './workload';

/** Where the suite sends its load and reads its evidence (one system: single-replica or cluster). */
export interface SuiteTarget<S> {
  system: S;
  /** The URL clients use (the gateway, or HAProxy in front of the gateways). */
  gateway: string;
  adminToken: string;
  /** Every wal-relay's base URL: the backlog counts as drained only when each one's is 0. */
  relays: string[];
  /** host:port, comma-separated. */
  brokers: string;
  consumerGroup: string;
  databaseUrl: string;
}

export interface SuiteOptions {
  seed: number;
  /** Requests started per second. */
  ratePerSecond: number;
  /** `[<label>]` in front of every progress line, and `.data/test-results/<label>.txt`. */
  label: string;
  /** No new fault starts after this much of the run's time. */
  faultBudgetMs: number;
  /** The test's own timeout: settling never reads past it (the evidence still needs reading). */
  testTimeoutMs: number;
  loadBeforeFaultMs?: number;
  /** The fault window ends this long after the broken part answers again. */
  windowAfterHealMs?: number;
  minAcceptedInWindow?: number;
  drainBoundMs?: number;
  settleAfterLastFaultMs?: number;
}

export interface SuiteResult {
  /** The seed, the evidence counts, one summary line per phase and the faults not run. */
  lines: string[];
  /** Everything that breaks the promise: empty when the suite passes. */
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 12's promise ("202 means it will happen or you will be told why; nothing is lost") under
 * one fault at a time while sign-ups, updates and deletes run: per fault, load, inject, hold,
 * heal, watch the drain; then settle every request, read PostgreSQL and Kafka and judge.
 */
export async function runFaultsUnderLoad<S>(target: SuiteTarget<S>, faults: Fault<S>[], o: SuiteOptions): Promise<SuiteResult> {
  const { loadBeforeFaultMs = 3000, windowAfterHealMs = 8000, minAcceptedInWindow = 50, drainBoundMs = 120_000, settleAfterLastFaultMs = 180_000 } = o;
  const say = (line: string) => process.stdout.write(`[${o.label}] ${line}\n`);
  const workload = new Workload({ gateway: target.gateway, adminToken: target.adminToken, prng: new Prng(o.seed), ratePerSecond: o.ratePerSecond, maxInFlight: 48, clientTimeoutMs: 15_000 });
  const drainMs = new Map<string, number | null>();
  const drainLeft = new Map<string, string>();
  const notRun: string[] = [];
  const started = Date.now();
  let lastHeal = started;
  try {
    for (const [i, fault] of faults.entries()) {
      if (Date.now() - started > o.faultBudgetMs) {
        notRun.push(...faults.slice(i).map((f) => `${f.name} (out of time)`));
        break;
      }
      workload.phase = fault.name;
      workload.inWindow = false;
      if (!fault.loadAfterInjection) {
        workload.start();
        await sleep(loadBeforeFaultMs);
      }
      workload.inWindow = true;
      say(`${fault.name}: injecting`);
      await fault.inject(target.system);
      workload.start();
      await sleep(fault.holdMs);
      await fault.heal(target.system);
      lastHeal = Date.now();
      // Watched from the heal on, while the load goes on: the first moment backlog and lag are both 0.
      const draining = timeToDrain(target.relays, target.brokers, target.consumerGroup, lastHeal, drainBoundMs);
      await sleep(windowAfterHealMs);
      workload.inWindow = false;
      await workload.stop();
      const drained = await draining;
      drainMs.set(fault.name, drained.ms);
      if (drained.left !== null) drainLeft.set(fault.name, drained.left);
      say(`${fault.name}: healed; ${drained.ms === null ? `not drained within ${drainBoundMs / 1000}s: ${drained.left}` : `drained ${(drained.ms / 1000).toFixed(1)}s after`}`);
      if (drained.ms === null) {
        // A system that does not recover makes every later fault meaningless: stop here, judge what ran.
        notRun.push(...faults.slice(i + 1).map((f) => `${f.name} (an earlier fault never drained)`));
        break;
      }
    }
  } finally {
    await workload.stop();
  }

  // settleAfterLastFaultMs after the last fault, but never past the test's own timeout.
  const { readings, ambiguous } = await settle(target.gateway, target.adminToken, workload.requests, Math.min(lastHeal + settleAfterLastFaultMs, started + o.testTimeoutMs - 90_000));
  const [db, kafkaEventIds] = await Promise.all([readDatabase(target.databaseUrl), readEventIds(target.brokers)]);
  const verdict = judge({ requests: workload.requests, readings, ambiguous, ...db, kafkaEventIds, drainMs, drainLeft });

  const count = (pred: (r: (typeof workload.requests)[number]) => boolean) => workload.requests.filter(pred).length;
  const evidenceLine = `evidence: ${workload.requests.length} requests (${count((r) => r.op === 'create')} sign-ups, ${count((r) => r.op === 'update')} updates, ${count((r) => r.op === 'delete')} deletes), ${db.rows.length} users rows, ${[...db.appliedCreates.values()].reduce((a, b) => a + b, 0)} applied creates, ${kafkaEventIds.size} event ids on ${TOPICS.events}`;
  const lines = [`seed ${o.seed}`, evidenceLine, ...verdict.phases.map(formatSummary), ...notRun.map((f) => `not run: ${f}`)];
  for (const line of lines) say(line);
  const out = path.join(__dirname, '../../../../.data/test-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, `${o.label}.txt`), [...lines, '', ...verdict.violations].join('\n') + '\n');

  const problems = [...verdict.violations];
  for (const p of verdict.phases) {
    if (p.phase === 'warm-up') continue;
    if (p.acceptedInWindow < minAcceptedInWindow) problems.push(`[${p.phase}] only ${p.acceptedInWindow} accepted requests inside the fault window (need ${minAcceptedInWindow})`);
    if (typeof p.drainMs === 'number' && p.drainMs > drainBoundMs) problems.push(`[${p.phase}] took ${p.drainMs} ms to drain`);
  }
  for (const f of notRun) problems.push(`not run: ${f}`);
  return { lines, problems };
}

/** The Error a suite throws when `problems` is not empty (the first 60, the rest in the results file). */
export function brokenPromises(label: string, seed: number, problems: string[]): Error {
  return new Error(
    `invariants broken (seed ${seed}; repeat with INVARIANT_SEED=${seed}), ${problems.length} problem(s):\n${problems.slice(0, 60).join('\n')}${problems.length > 60 ? `\n… and ${problems.length - 60} more (.data/test-results/${label}.txt)` : ''}`,
  );
}
