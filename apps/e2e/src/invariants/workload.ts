import type { Operation, SentRequest } from './answers';
import type { Prng } from './prng';

/**
 * Steady write load through the gateway: sign-ups of distinct users, plus deliberate collisions
 * (a sign-up reusing an earlier username or email, and bursts of four sign-ups of one new
 * username by different people within 400 ms), nickname updates and deletes of users whose sign-up was
 * accepted (as the admin). Every request and its answer is recorded; nothing is retried.
 */
export interface WorkloadOptions {
  gateway: string;
  adminToken: string;
  prng: Prng;
  /** Requests started per second (open loop, capped by maxInFlight). */
  ratePerSecond: number;
  maxInFlight: number;
  /** A client gives up after this long and counts the request as unanswered (ambiguous). */
  clientTimeoutMs: number;
}

interface Account {
  username: string;
  email: string;
}

export class Workload {
  readonly requests: SentRequest[] = [];
  private readonly signups: Account[] = [];
  /** Users whose sign-up got 202 and that are not being deleted: targets for updates and deletes. */
  private readonly live: Account[] = [];
  private seq = 0;
  /** Next unused username/email/phone number. */
  private contacts = 0;
  private inFlight = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  phase = 'warm-up';
  inWindow = false;

  constructor(private readonly o: WorkloadOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops starting requests and waits for those in flight to be answered (or time out). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all([...this.pending]);
  }

  private async run(): Promise<void> {
    const interval = 1000 / this.o.ratePerSecond;
    let next = Date.now();
    while (this.running) {
      if (this.inFlight < this.o.maxInFlight) this.track(this.oneOperation());
      next += interval;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private oneOperation(): Promise<void> {
    const roll = this.o.prng.next();
    const n = this.seq;
    const fresh = (): Account & { phone: string; password: string } => {
      const c = this.contacts++;
      const id = `${this.o.prng.seed.toString(36)}_${c}`;
      return { username: `i${id}`, email: `u${id}@inv.test`, phone: `+49151${String(c).padStart(8, '0')}`, password: `pw-${id}-${this.o.prng.int(1e9)}` };
    };
    if (roll < 0.08 && this.signups.length > 0) {
      const other = this.o.prng.pick(this.signups);
      return this.signUp({ ...fresh(), username: other.username }); // someone else's username
    }
    if (roll < 0.15 && this.signups.length > 0) {
      const other = this.o.prng.pick(this.signups);
      return this.signUp({ ...fresh(), email: other.email }); // someone else's email
    }
    if (roll < 0.2) {
      // Four people race for one new username, a few hundred ms apart: the later ones may arrive
      // just as the first one's event is applied and its pending marker cleared (issue 12, failure 3).
      const username = fresh().username;
      const racers = [0, 1, 2, 3].map((i) => ({ user: { ...fresh(), username }, delayMs: i === 0 ? 0 : this.o.prng.int(400) }));
      return Promise.all(racers.map(({ user, delayMs }) => new Promise((r) => setTimeout(r, delayMs)).then(() => this.signUp(user)))).then(() => undefined);
    }
    if (roll < 0.35 && this.live.length > 0) {
      const target = this.o.prng.pick(this.live);
      const nickname = `nick-${this.o.prng.seed.toString(36)}-${n}`;
      return this.send('update', target.username, { method: 'PATCH', body: { nickname }, admin: true }, { nickname }).then(() => undefined);
    }
    if (roll < 0.45 && this.live.length > 0) {
      const target = this.live.splice(this.o.prng.int(this.live.length), 1)[0];
      return this.send('delete', target.username, { method: 'DELETE', admin: true }).then(() => undefined);
    }
    return this.signUp(fresh());
  }

  private async signUp(user: Account & { phone: string; password: string }): Promise<void> {
    this.signups.push({ username: user.username, email: user.email });
    const r = await this.send('create', user.username, { method: 'POST', body: user }, { email: user.email });
    if (r.status === 202) this.live.push({ username: user.username, email: user.email });
  }

  private async send(op: Operation, username: string, req: { method: string; body?: unknown; admin?: boolean }, extra: Partial<SentRequest> = {}): Promise<SentRequest> {
    const record: SentRequest = { seq: this.seq++, op, username, phase: this.phase, inWindow: this.inWindow, sentAt: Date.now(), status: 0, ...extra };
    this.requests.push(record);
    this.inFlight++;
    try {
      const url = op === 'create' ? `${this.o.gateway}/v1/users` : `${this.o.gateway}/v1/users/${encodeURIComponent(username)}`;
      const res = await fetch(url, {
        method: req.method,
        headers: { ...(req.body ? { 'content-type': 'application/json' } : {}), ...(req.admin ? { authorization: `Bearer ${this.o.adminToken}` } : {}) },
        body: req.body ? JSON.stringify(req.body) : undefined,
        signal: AbortSignal.timeout(this.o.clientTimeoutMs),
      });
      record.status = res.status;
      record.location = res.headers.get('location') ?? undefined;
      const body = (await res.json().catch(() => ({}))) as { requestId?: unknown; code?: unknown };
      if (typeof body.requestId === 'string') record.requestId = body.requestId;
      if (typeof body.code === 'number') record.code = body.code;
    } catch {
      record.status = 0; // connection error or our own timeout: no answer
    } finally {
      this.inFlight--;
    }
    return record;
  }
}
