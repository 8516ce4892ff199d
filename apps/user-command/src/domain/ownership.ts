import { AppError, ownerOf } from '@usersys/service-kit';
import { ERRORS } from '../errors';

/** The user-command replicas (USER_COMMAND_URLS, origins) and which of them this process is (USER_COMMAND_SELF). */
export interface ReplicaSet {
  members: readonly string[];
  self: string;
}

/**
 * The fence: this replica accepts a write only for a username it owns by rendezvous hashing over
 * its own replica list, the function the gateways route with. A gateway whose list is stale (an
 * operator is changing the replicas) then gets 421 and answers 503 + Retry-After, instead of two
 * replicas, two WALs and two relays taking writes for one name, which could reach its Kafka
 * partition out of order. Without a replica list (one replica) every username is ours.
 */
export class UsernameOwnership {
  constructor(private readonly replicas: ReplicaSet | null) {}

  owns(username: string): boolean {
    return !this.replicas || ownerOf(this.replicas.members, username) === this.replicas.self;
  }

  /** Before a write does anything (reservation, marker, request record, WAL). */
  checkWrite(username: string): void {
    if (!this.owns(username)) throw new AppError(ERRORS.NOT_OWNER, undefined, { details: { username } });
  }
}
