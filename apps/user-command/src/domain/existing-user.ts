import { AppError } from '@usersys/service-kit';
import type { CachedUser } from '@usersys/user-cache';
import { ERRORS } from '../errors';
import type { PendingMarkers, UserCache, UserDirectory } from './ports';
import { lookupUnavailable } from './uniqueness';

export interface ExistingUserDeps {
  cache: UserCache;
  directory: UserDirectory;
  markers: PendingMarkers;
}

/**
 * The user an update or delete applies to: the cache first, the database on a miss (filling the
 * cache with SET NX). Absent → 404, or 409 while its creation is still pending, so no event is ever
 * sent for a user the consumer could not apply it to. Soft-deleted users count as absent, except
 * for a force delete (which purges them).
 */
export async function existingUser(deps: ExistingUserDeps, username: string, options: { includeDeleted?: boolean } = {}): Promise<CachedUser> {
  let user = await deps.cache.read(username);
  // A tombstone does not say whether the row is gone (force) or kept (soft): ask the database.
  if (!user || (user.state === 'deleted' && options.includeDeleted)) {
    try {
      user = await deps.directory.loadForCache(username);
    } catch (err) {
      throw lookupUnavailable(err);
    }
    if (user) await deps.cache.fill(user);
  }
  if (user && (user.state !== 'deleted' || options.includeDeleted)) return user;
  if (!user && (await pendingCreation(deps, username))) throw new AppError(ERRORS.USER_PENDING);
  throw new AppError(ERRORS.USER_NOT_FOUND);
}

async function pendingCreation(deps: ExistingUserDeps, username: string): Promise<boolean> {
  try {
    return (await deps.markers.read(username)) !== null;
  } catch (err) {
    throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
  }
}
