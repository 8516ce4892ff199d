import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest random weight) hashing: each key belongs to the member with the highest
 * score hash(member, key). Every process that knows the same member list picks the same owner
 * without talking to the others, and when a member leaves only the keys it owned move (each to
 * the member that ranked second for it).
 *
 * Used to send every write for one username to one user-command replica, so that username's
 * writes go through one WAL and one relay (see apps/auth-gateway's README, "Routing"). Members are
 * named by URL origin on both sides (`envUrlList` of @usersys/config), so spellings of one URL agree.
 */

function score(member: string, key: string): bigint {
  // The first 64 bits of SHA-256: uniform, and the same on every platform and Node version.
  return createHash('sha256').update(member).update('\u0000').update(key).digest().readBigUInt64BE(0);
}

/** The members ordered by their score for `key`, the owner first (ties, which SHA-256 makes unlikely, by name). */
export function rankMembers(members: readonly string[], key: string): string[] {
  return members
    .map((member) => ({ member, score: score(member, key) }))
    .sort((a, b) => (a.score === b.score ? (a.member < b.member ? -1 : 1) : a.score > b.score ? -1 : 1))
    .map((entry) => entry.member);
}

/** The member that owns `key`. */
export function ownerOf(members: readonly string[], key: string): string {
  if (members.length === 0) throw new Error('rendezvous: no members');
  return rankMembers(members, key)[0];
}
