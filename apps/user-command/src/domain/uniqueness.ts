import { AppError } from '@usersys/service-kit';
import type { ContactKind } from '@usersys/user-cache';
import { ERRORS } from '../errors';
import type { ContactReservations, Contacts, UserCache, UserDirectory } from './ports';

export interface UniquenessDeps {
  cache: UserCache;
  directory: UserDirectory;
  reservations: ContactReservations;
}

const KINDS: readonly ContactKind[] = ['email', 'phone'];

/** Contacts reserved by this request; released when the request fails after reserving them. */
export class HeldContacts {
  constructor(
    private readonly reservations: ContactReservations,
    readonly username: string,
    readonly held: Contacts,
  ) {}

  /**
   * Takes the held reservations again (a no-op while they are still this name's). Why: a
   * reservation belongs to a name, not to a request, so whoever frees the name's earlier sign-up
   * (lost-wal's settlement) releases them too, possibly after this request reserved them. Called
   * once this request holds the name's pending marker, after which nobody releases them but it or
   * the consumer. Another name took one meanwhile → 409 for that contact.
   */
  async reassert(): Promise<void> {
    const kinds = KINDS.filter((k) => this.held[k] !== undefined);
    const still = await Promise.all(kinds.map((k) => this.reservations.reserve(k, this.held[k]!, this.username)));
    const lost = kinds.find((_, i) => !still[i]);
    if (lost) throw new AppError(TAKEN[lost], undefined, { details: { field: lost } });
  }

  /** Releases every held reservation except those `keep` names with the same value. */
  async release(keep: Contacts = {}): Promise<void> {
    await Promise.all(
      KINDS.filter((k) => this.held[k] !== undefined && keep[k] !== this.held[k]).map((k) => this.reservations.release(k, this.held[k]!, this.username)),
    );
  }
}

export function lookupUnavailable(err: unknown): AppError {
  return err instanceof AppError ? err : new AppError(ERRORS.LOOKUP_UNAVAILABLE, undefined, { cause: err });
}

/**
 * Is the username taken by a persisted user? The user cache first (a live entry answers at once);
 * on a miss, or a tombstone (after a force delete the name is free again, after a soft delete the
 * row still holds it), an indexed lookup that reads only the key.
 */
export async function usernameTaken(deps: UniquenessDeps, username: string): Promise<boolean> {
  const cached = await deps.cache.read(username);
  if (cached && cached.state !== 'deleted') return true;
  try {
    return await deps.directory.usernameExists(username);
  } catch (err) {
    throw lookupUnavailable(err);
  }
}

const TAKEN = { email: ERRORS.EMAIL_TAKEN, phone: ERRORS.PHONE_TAKEN } as const;

/**
 * Email and phone, both at once: a SET NX reservation for `username` (so two concurrent requests
 * cannot both pass) and an indexed lookup among persisted users. The loser gets 409 naming the
 * field; whatever this request reserved is released again when it fails.
 */
export async function reserveContacts(deps: UniquenessDeps, username: string, contacts: Contacts): Promise<HeldContacts> {
  const kinds = KINDS.filter((k) => contacts[k] !== undefined);
  if (kinds.length === 0) return new HeldContacts(deps.reservations, username, {});
  const [reserved, owners] = await Promise.all([
    Promise.allSettled(kinds.map((k) => deps.reservations.reserve(k, contacts[k]!, username))),
    deps.directory.contactOwners(contacts).then(
      (value) => ({ ok: true as const, value }),
      (err: unknown) => ({ ok: false as const, err }),
    ),
  ]);
  const held: Contacts = {};
  kinds.forEach((k, i) => {
    const r = reserved[i];
    if (r.status === 'fulfilled' && r.value) held[k] = contacts[k];
  });
  const holding = new HeldContacts(deps.reservations, username, held);
  const fail = async (err: AppError): Promise<never> => {
    await holding.release();
    throw err;
  };

  const redisDown = reserved.find((r) => r.status === 'rejected');
  if (redisDown) await fail(new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: redisDown.reason }));
  if (!owners.ok) await fail(lookupUnavailable(owners.err));
  for (const [i, k] of kinds.entries()) {
    const reservedByOther = reserved[i].status === 'fulfilled' && !(reserved[i] as PromiseFulfilledResult<boolean>).value;
    const owner = owners.ok ? owners.value[k] : null;
    if (reservedByOther || (owner !== null && owner !== username)) await fail(new AppError(TAKEN[k], undefined, { details: { field: k } }));
  }
  return holding;
}
