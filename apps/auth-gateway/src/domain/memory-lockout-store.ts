import { LRUCache } from 'lru-cache';
import { countFailure, type FailureCounter, type LockoutCounters, type LockoutPolicy, type LockoutStore } from './brute-force-guard';

/** The whole state of one username: a counter per network, and one across networks. */
interface UsernameCounters {
  networks: Map<string, FailureCounter>;
  username?: FailureCounter;
}

/** How long a username's counters matter after its last failure: its window, its longest lock, and the window that keeps a lock streak. */
export function lockoutRetentionMs(policy: LockoutPolicy): number {
  return 2 * policy.windowMs + policy.maxLockMs;
}

/**
 * The counters in this process's memory: the fallback while Redis fails (same rule, but per
 * replica). Bounded: at most `maxUsernames` usernames (least recently failed dropped first), each
 * forgotten once it no longer matters.
 */
export class MemoryLockoutStore implements LockoutStore {
  private readonly entries: LRUCache<string, UsernameCounters>;

  constructor(
    private readonly policy: LockoutPolicy,
    maxUsernames = 100_000,
  ) {
    this.entries = new LRUCache({ max: maxUsernames, ttl: lockoutRetentionMs(policy) });
  }

  async read(username: string, network: string): Promise<LockoutCounters> {
    const entry = this.entries.get(username, { updateAgeOnGet: false });
    return { network: entry?.networks.get(network), username: entry?.username };
  }

  async countFailure(username: string, network: string, now: number): Promise<void> {
    const entry: UsernameCounters = this.entries.get(username) ?? { networks: new Map() };
    const next = countFailure(this.policy, { network: entry.networks.get(network), username: entry.username }, now);
    if (next.network) entry.networks.set(network, next.network);
    entry.username = next.username;
    this.entries.set(username, entry);
  }

  async clearNetwork(username: string, network: string): Promise<void> {
    this.entries.get(username, { updateAgeOnGet: false })?.networks.delete(network);
  }

  async readAll(username: string): Promise<{ networks: FailureCounter[]; username?: FailureCounter }> {
    const entry = this.entries.get(username, { updateAgeOnGet: false });
    return { networks: [...(entry?.networks.values() ?? [])], username: entry?.username };
  }

  async clearAll(username: string): Promise<void> {
    this.entries.delete(username);
  }
}
