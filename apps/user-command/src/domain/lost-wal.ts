import type { CachedUser, ContactKind, RequestRecord } from '@usersys/user-cache';
import type { ConsumerRecords, PendingMarkers, RequestRecords } from './ports';

/** Why such a request ends rejected (GET /v1/requests/:id → `rejected`, reason `wal_lost`). */
export const WAL_LOST = 'wal_lost';

/** Every `user:request:<id>` record Redis holds (25 h of accepted writes). */
export interface AcceptedRequests extends RequestRecords {
  all(): AsyncIterable<{ requestId: string; record: RequestRecord }>;
}

export interface LostWalDeps {
  requests: AcceptedRequests;
  consumerRecords: ConsumerRecords;
  markers: Pick<PendingMarkers, 'read' | 'clear'>;
  reservations: { release(kind: ContactKind, value: string, username: string): Promise<void> };
  rejections: { record(username: string, rejection: { eventId: string; reason: string }): Promise<void> };
  accounts: { find(username: string): Promise<Pick<CachedUser, 'accountId' | 'credentialVersion'> | null>; stateOf(username: string): Promise<unknown> };
  sessions: { lowerMinVersion(accountId: string, version: number): Promise<boolean>; revokeBefore(accountId: string, atMs: number, minVersion: number): Promise<void> };
}

export interface LostRequest {
  requestId: string;
  username: string;
  type: RequestRecord['type'];
  acceptedAt: string;
}

export interface LostWalReport {
  /** Requests of that WAL that PostgreSQL does not know: never applied, never will be. */
  lost: LostRequest[];
  /** Of the lost sign-ups, the names freed (marker cleared, reserved contacts released, state `rejected`). */
  signUpsReleased: string[];
  /** Accounts whose revocation waited for a credential version the lost change would have brought. */
  revocationsLowered: string[];
}

/**
 * The operator's action for a user-command WAL that is not coming back (a lost volume), run once
 * that replica is out of USER_COMMAND_URLS everywhere and the consumers have caught up: every
 * request accepted into that WAL and unknown to PostgreSQL ends `rejected`, reason `wal_lost`,
 * instead of `pending` for the 25 h its record lives. For a lost sign-up the name is freed now
 * rather than when its marker expires; for a lost password change, delete or disable, the version
 * its revocation waits for is lowered back to the account's (else every new login of the account
 * would be refused for a day). Sessions it logged out stay logged out.
 *
 * `apply: false` only reports. Idempotent: a request already settled is not found again.
 */
export async function settleLostWal(deps: LostWalDeps, walName: string, options: { apply: boolean }): Promise<LostWalReport> {
  const lost: Array<LostRequest & { record: RequestRecord }> = [];
  for await (const { requestId, record } of deps.requests.all()) {
    if (record.wal !== walName || record.notWritten) continue;
    if (await deps.consumerRecords.find(requestId)) continue; // shipped before the loss: PostgreSQL has its outcome
    lost.push({ requestId, username: record.username, type: record.type, acceptedAt: record.acceptedAt, record });
  }
  const report: LostWalReport = { lost: lost.map(({ record: _, ...request }) => request), signUpsReleased: [], revocationsLowered: [] };
  if (!options.apply || lost.length === 0) return report;

  const names = new Set(lost.map((r) => r.username));
  const stillInFlight = await namesWithOtherWritesInFlight(deps, walName, names);
  const lowered = new Map<string, Pick<CachedUser, 'accountId' | 'credentialVersion'>>();
  for (const request of lost) {
    await deps.requests.write(request.requestId, { ...request.record, notWritten: WAL_LOST });
    if (request.type === 'create') {
      if (await releaseSignUp(deps, request)) report.signUpsReleased.push(request.username);
    } else if (!stillInFlight.has(request.username)) {
      // Another accepted change for the name still on its way may need the raised version: leave it.
      const account = await deps.accounts.find(request.username);
      if (account && (await deps.sessions.lowerMinVersion(account.accountId, account.credentialVersion))) lowered.set(request.username, account);
    }
  }
  report.revocationsLowered = await keepRevocationsOfNewerWrites(deps, walName, lowered);
  return report;
}

/**
 * The surviving replicas take writes while the settlement runs: a change accepted after the first
 * look for writes in flight raises the version its revocation waits for (to the same value the lost
 * change had raised it) and may do so before that name's version is lowered, which would then undo
 * its revocation until the consumer applies it. Any such change wrote its request record before its
 * raise, so a second look after every lowering sees it (or PostgreSQL already has it): its raise is
 * redone. Returns the names whose lowering stands.
 */
async function keepRevocationsOfNewerWrites(deps: LostWalDeps, walName: string, lowered: Map<string, Pick<CachedUser, 'accountId' | 'credentialVersion'>>): Promise<string[]> {
  if (lowered.size === 0) return [];
  const inFlightNow = await namesWithOtherWritesInFlight(deps, walName, new Set(lowered.keys()));
  for (const username of inFlightNow) {
    const account = lowered.get(username)!;
    await deps.sessions.revokeBefore(account.accountId, 0, account.credentialVersion + 1);
  }
  return [...lowered.keys()].filter((username) => !inFlightNow.has(username));
}

/** The names (among `names`) with a write accepted into another WAL that PostgreSQL does not know yet. */
async function namesWithOtherWritesInFlight(deps: LostWalDeps, walName: string, names: Set<string>): Promise<Set<string>> {
  const inFlight = new Set<string>();
  for await (const { requestId, record } of deps.requests.all()) {
    if (record.wal === walName || record.notWritten || !names.has(record.username) || inFlight.has(record.username)) continue;
    if (!(await deps.consumerRecords.find(requestId))) inFlight.add(record.username);
  }
  return inFlight;
}

/**
 * A lost sign-up's name: its marker (only while still its own), its reserved contacts, and a readable
 * `rejected`. The rejection is recorded (only for a name without a row: a rejection newer than a live
 * account would read as its state) before the marker goes: while it holds the name no newer sign-up
 * can be accepted, let alone applied, so the rejection is older than any row a later sign-up brings.
 * Recorded after the marker was cleared, a sign-up accepted and applied in between would read
 * `rejected wal_lost` beside its live account.
 */
async function releaseSignUp(deps: LostWalDeps, request: LostRequest): Promise<boolean> {
  const marker = await deps.markers.read(request.username);
  if (marker?.value && marker.value.eventId !== request.requestId) return false; // a newer sign-up holds the name
  if (!(await deps.accounts.stateOf(request.username))) await deps.rejections.record(request.username, { eventId: request.requestId, reason: WAL_LOST });
  const contacts = marker?.value?.contacts ?? {};
  if (contacts.email) await deps.reservations.release('email', contacts.email, request.username);
  if (contacts.phone) await deps.reservations.release('phone', contacts.phone, request.username);
  if (marker) await deps.markers.clear(request.username, request.requestId);
  return true;
}
