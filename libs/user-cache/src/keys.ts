/**
 * Redis keys about users shared by user-command, user-consumer and auth-gateway (only
 * `user:pending:<username>` is part of the external contract; these are ours, documented here and in
 * docs/architecture.md, "Redis keys").
 *
 * Keys about one user carry the username as a hash tag (`{<username>}`, as docs/architecture.md describes for
 * the pending marker): the consumer settles marker, cache entry and rejection of one user in one
 * script, and a Redis Cluster runs a script only over keys of one slot. Keys no script combines with
 * another (reservations, requests, revocations) have no tag, so they spread over the cluster.
 *
 *   user:cache:{<username>}        JSON CachedUser sealed with an HMAC (UserCacheSeal, key CACHE_HMAC_KEY),
 *                                  TTL (default 10 min); written/deleted by the consumer, read (and filled
 *                                  on a miss) by user-command and the gateway; an entry whose seal does not
 *                                  verify is a miss, so whoever can write Redis cannot make an admin
 *   auth:revoked-before:<accountId>  `<ms>:<minVersion>`: sessions of the account begun at or before ms, and
 *                                  tokens on a credential version below minVersion, are revoked;
 *                                  raised by user-command when it accepts a password change, delete, force
 *                                  delete or disable (before the 202), read by the gateway on every
 *                                  authenticated request; TTL 25 h (PostgreSQL holds the revocation once the
 *                                  consumer applied the change)
 *   user:reserve:email:<email>     username holding a short-lived sign-up/update reservation (SET NX)
 *   user:reserve:phone:<phone>     same for a phone number (canonical form)
 *   user:rejected:{<username>}     JSON Rejection, written by the consumer when an accepted request
 *                                  lost in the database; read by user-command's state endpoint
 *   user:request:<requestId>       JSON RequestRecord {type, username, acceptedAt}, TTL 25 h; written by
 *                                  user-command before the WAL append of every accepted write (request id =
 *                                  event id), read by its request-state endpoint (GET /internal/requests/:id)
 *                                  until PostgreSQL knows the event's outcome
 */
export const userCacheKey = (username: string): string => `user:cache:{${username}}`;
export type ContactKind = 'email' | 'phone';
export const reservationKey = (kind: ContactKind, value: string): string => `user:reserve:${kind}:${value}`;
export const rejectionKey = (username: string): string => `user:rejected:{${username}}`;
export const requestKey = (requestId: string): string => `user:request:${requestId}`;
export const revokedBeforeKey = (accountId: string): string => `auth:revoked-before:${accountId}`;
