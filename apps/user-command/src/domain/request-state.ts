import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import type { PendingMarkers, RejectionRecords, UserCache, UserDirectory } from './ports';
import { lookupUnavailable } from './uniqueness';

export type RequestState = { state: 'pending' | 'active' | 'deleted' } | { state: 'rejected'; reason: string } | null;

export interface RequestStateDeps {
  markers: PendingMarkers;
  directory: UserDirectory;
  rejections: RejectionRecords;
  cache: UserCache;
}

/**
 * What became of the latest request for a name: a live pending marker means still in flight while
 * the name has no row; a rejection the consumer recorded after the row's last change means rejected
 * (with its reason); otherwise the row's state, or a cache tombstone once a force delete removed the
 * row. A marker beside an existing row is never "pending": one name has one account, so it is either
 * the applied sign-up's marker not cleared yet (the consumer clears it after the commit, and a Redis
 * hiccup there can leave it until its TTL) or a second sign-up of a taken name, which is refused.
 * Unknown → null (404).
 */
export async function requestState(deps: RequestStateDeps, username: string): Promise<RequestState> {
  const redis = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => {
      throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
    });
  const [marker, rejection, row, cached] = await Promise.all([
    redis(deps.markers.read(username)),
    redis(deps.rejections.read(username)),
    deps.directory.stateOf(username).catch((err: unknown) => {
      throw lookupUnavailable(err);
    }),
    deps.cache.read(username),
  ]);
  if (marker && !row) return { state: 'pending' };
  if (rejection && (!row || Date.parse(rejection.at) >= row.updatedAt.getTime())) return { state: 'rejected', reason: rejection.reason };
  if (row) return { state: row.state === 'deleted' ? 'deleted' : 'active' };
  if (cached?.state === 'deleted') return { state: 'deleted' };
  return null;
}
