import type { PendingMarkers, RejectionRecords, UserDirectory } from './ports';

export type RequestState = { state: 'pending' | 'active' | 'deleted' } | { state: 'rejected'; reason: string } | null;

/**
 * What became of a sign-up: a live marker means still in flight; otherwise the database row, then a
 * rejection record the consumer left behind. Unknown → null (404).
 */
export async function requestState(deps: { markers: PendingMarkers; directory: UserDirectory; rejections: RejectionRecords }, username: string): Promise<RequestState> {
  const [marker, state] = await Promise.all([deps.markers.read(username), deps.directory.stateOf(username)]);
  if (marker) return { state: 'pending' };
  if (state === 'active' || state === 'disabled') return { state: 'active' };
  if (state === 'deleted') return { state: 'deleted' };
  const rejection = await deps.rejections.read(username);
  if (rejection) return { state: 'rejected', reason: rejection.reason };
  return null;
}
