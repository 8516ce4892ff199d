export { userCacheKey, reservationKey, rejectionKey, requestKey, revokedBeforeKey } from './keys';
export { UserCacheSeal } from './seal';
export type { ContactKind } from './keys';
export {
  DEFAULT_USER_CACHE_TTL_MS,
  DEFAULT_RESERVATION_TTL_MS,
  DEFAULT_REJECTION_TTL_MS,
  DEFAULT_REQUEST_TTL_MS,
  cachedUserOf,
  readCachedUser,
  writeCachedUser,
  fillCachedUser,
  deleteCachedUser,
  reserveContact,
  contactHolder,
  releaseContact,
  RELEASE_CONTACT_LUA,
  recordRejection,
  readRejection,
  clearRejection,
  writeRequestRecord,
  readRequestRecord,
  revokeSessionsBefore,
  lowerRevocationVersion,
  readRevokedBefore,
  readSessionRevocation,
} from './user-cache';
export type { CachedUser, SessionRevocation, Rejection, RequestRecord, RequestType, UserRole, UserState, UserRowLike } from './user-cache';
