import { TOPICS } from '@usersys/event-schema';
import { classify, type SentRequest } from './answers';

/** What `GET /v1/requests/{id}` said last (or why it could not be read). */
export type RequestReading =
  | { kind: 'state'; type: string; username: string; state: 'pending' | 'applied' | 'rejected' | 'dead_lettered'; reason?: string }
  | { kind: 'unknown' } // 404: the service does not know the id
  | { kind: 'unreadable'; why: string };

/** After the deadline: did an ambiguous request end in a state its client can read (through the user)? */
export type AmbiguousReading = 'settled' | 'pending' | 'unreadable';

export interface UserRow {
  username: string;
  email: string;
  nickname: string | null;
  state: string;
}

export interface Evidence {
  requests: SentRequest[];
  readings: Map<string, RequestReading>;
  ambiguous: Map<number, AmbiguousReading>;
  rows: UserRow[];
  /** processed_events: applied user.created events per username. */
  appliedCreates: Map<string, number>;
  /** processed_events event ids recorded more than once (the primary key should make this empty). */
  repeatedEventIds: string[];
  /** Every event id found on user.events.v1. */
  kafkaEventIds: Set<string>;
  /** Per phase: ms from the fault's end until the relay backlog and the consumer lag were 0; null = never (within the bound). */
  drainMs: Map<string, number | null>;
  /** Per phase that never drained: what was left at the last reading (relay backlog, which group's lag, which partitions). */
  drainLeft?: Map<string, string>;
}

export interface PhaseSummary {
  phase: string;
  accepted: number;
  acceptedInWindow: number;
  refusedByStatus: Record<string, number>;
  ambiguous: number;
  /** 202s without a truthful outcome: no request id or Location to follow, unknown id, never on Kafka, told applied without their row, told rejected with their row. */
  lost: number;
  /** 202s (or ambiguous answers) still not in a terminal, readable state at the deadline. */
  stuck: number;
  /** A username created by more than one applied event, or one event id applied twice. */
  duplicated: number;
  /** Refused requests whose write is in the database anyway. */
  writtenAfterRefusal: number;
  drainMs: number | null | undefined;
}

export interface Verdict {
  phases: PhaseSummary[];
  violations: string[];
}

const TERMINAL = new Set(['applied', 'rejected', 'dead_lettered']);

/** Checks every recorded request against what the system holds at the end. Pure: all evidence is passed in. */
export function judge(evidence: Evidence): Verdict {
  const phases = new Map<string, PhaseSummary>();
  const summary = (phase: string): PhaseSummary => {
    let s = phases.get(phase);
    if (!s) {
      s = { phase, accepted: 0, acceptedInWindow: 0, refusedByStatus: {}, ambiguous: 0, lost: 0, stuck: 0, duplicated: 0, writtenAfterRefusal: 0, drainMs: evidence.drainMs.get(phase) };
      phases.set(phase, s);
    }
    return s;
  };
  const violations: string[] = [];
  const counted = new Set<string>(); // a column counts requests: one with two problems counts once
  const flag = (r: SentRequest, column: 'lost' | 'stuck' | 'duplicated' | 'writtenAfterRefusal', why: string) => {
    if (!counted.has(`${column}:${r.seq}`)) summary(r.phase)[column] += 1;
    counted.add(`${column}:${r.seq}`);
    violations.push(`[${r.phase}] #${r.seq} ${r.op} ${r.username}${r.requestId ? ` (${r.requestId})` : ''} answered ${r.status || 'no answer'}: ${why}`);
  };
  const rowOf = new Map(evidence.rows.map((row) => [row.username, row]));
  const deletesMaybeWritten = new Set(evidence.requests.filter((r) => r.op === 'delete' && classify(r) !== 'refused').map((r) => r.username));

  for (const r of evidence.requests) {
    const s = summary(r.phase);
    const row = rowOf.get(r.username);
    const theirRow = row !== undefined && r.email !== undefined && row.email === r.email;
    const answer = classify(r);
    if (answer === 'refused') {
      s.refusedByStatus[String(r.status)] = (s.refusedByStatus[String(r.status)] ?? 0) + 1;
      if (r.op === 'create' && theirRow) flag(r, 'writtenAfterRefusal', 'refused, yet the row holds this client\'s email');
      if (r.op === 'update' && row?.nickname === r.nickname) flag(r, 'writtenAfterRefusal', `refused, yet the row holds its nickname ${r.nickname}`);
      if (r.op === 'delete' && row?.state === 'deleted' && !deletesMaybeWritten.has(r.username)) flag(r, 'writtenAfterRefusal', 'refused, yet the user is deleted and no other delete was accepted');
      continue;
    }
    if (answer === 'ambiguous') {
      s.ambiguous += 1;
      const settled = evidence.ambiguous.get(r.seq) ?? 'unreadable';
      if (settled !== 'settled') flag(r, 'stuck', `ambiguous answer, and the user's state is ${settled} at the deadline`);
      continue;
    }
    s.accepted += 1;
    if (r.inWindow) s.acceptedInWindow += 1;
    if (!r.requestId) {
      flag(r, 'lost', '202 without a requestId: the client cannot follow it');
      continue;
    }
    if (r.location !== `/v1/requests/${r.requestId}`) flag(r, 'lost', `202 with Location ${r.location ?? '(none)'}, not /v1/requests/${r.requestId}`);
    if (!evidence.kafkaEventIds.has(r.requestId)) flag(r, 'lost', `its event never reached ${TOPICS.events}`);
    const reading = evidence.readings.get(r.requestId) ?? { kind: 'unreadable', why: 'never read' };
    if (reading.kind === 'unknown') {
      flag(r, 'lost', 'GET /v1/requests/{id} answers 404');
      continue;
    }
    if (reading.kind === 'unreadable') {
      flag(r, 'stuck', `request state unreadable: ${reading.why}`);
      continue;
    }
    if (!TERMINAL.has(reading.state)) {
      flag(r, 'stuck', `still ${reading.state}${reading.reason ? ` (${reading.reason})` : ''} at the deadline`);
      continue;
    }
    if (reading.type !== r.op || reading.username !== r.username) flag(r, 'lost', `request state describes ${reading.type} of ${reading.username}`);
    if (r.op === 'create' && reading.state === 'applied' && !theirRow) flag(r, 'lost', `told applied, but ${row ? `the row holds another email (${row.email})` : 'there is no row'}`);
    if (r.op === 'create' && reading.state !== 'applied' && theirRow) flag(r, 'lost', `told ${reading.state}, but the row holds this client's email`);
    if (r.op === 'delete' && reading.state === 'applied' && row?.state !== 'deleted') flag(r, 'lost', `told applied, but the user is ${row ? row.state : 'gone'}`);
  }

  const byRequestId = new Map(evidence.requests.filter((r) => r.requestId).map((r) => [r.requestId!, r]));
  for (const [username, count] of evidence.appliedCreates) {
    if (count <= 1) continue;
    const creates = evidence.requests.filter((r) => r.op === 'create' && r.username === username && classify(r) === 'accepted');
    const blamed = creates.at(-1) ?? evidence.requests.find((r) => r.username === username);
    if (blamed) flag(blamed, 'duplicated', `${count} applied user.created events for one username`);
    else violations.push(`${count} applied user.created events for ${username}, which the suite never sent`);
  }
  for (const eventId of evidence.repeatedEventIds) {
    const r = byRequestId.get(eventId);
    if (r) flag(r, 'duplicated', 'its event id is recorded more than once in processed_events');
    else violations.push(`event ${eventId} is recorded more than once in processed_events`);
  }
  for (const [phase, ms] of evidence.drainMs) {
    if (ms === null) violations.push(`[${phase}] the relay backlog or the consumer lag never reached 0 (left: ${evidence.drainLeft?.get(phase) ?? 'unknown'})`);
    summary(phase).drainMs = ms;
  }
  return { phases: [...phases.values()], violations };
}

/** One line per phase, the columns the README explains. */
export function formatSummary(s: PhaseSummary): string {
  const refused = Object.entries(s.refusedByStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}:${n}`)
    .join(',');
  const drain = s.drainMs === undefined ? '-' : s.drainMs === null ? 'never' : `${(s.drainMs / 1000).toFixed(1)}s`;
  return `${s.phase.padEnd(22)} accepted=${s.accepted} (in window ${s.acceptedInWindow}) refused=${refused || '-'} ambiguous=${s.ambiguous} lost=${s.lost} stuck=${s.stuck} duplicated=${s.duplicated} written-after-refusal=${s.writtenAfterRefusal} drain=${drain}`;
}
