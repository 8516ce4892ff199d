import { randomBytes } from 'node:crypto';
import type { HttpClient, HttpResult } from './http-client';
import { TokenKeeper } from './tokens';

export type ScenarioName = 'login' | 'login_uncached' | 'create' | 'update' | 'mixed';
export const SCENARIOS: ScenarioName[] = ['login', 'login_uncached', 'create', 'update', 'mixed'];

export interface SeedUser {
  username: string;
  password: string;
  tokens: TokenKeeper;
}

export interface OperationResult {
  status: number;
  ok: boolean;
}

/**
 * Follows each accepted create by its request id (`GET /v1/requests/{requestId}`) until it is
 * `applied` (the original suite's wait-for-user). A request that ends `rejected` or
 * `dead_lettered` is counted in `notApplied`, one still pending at the timeout in `timedOut`.
 */
export class WaitForUser {
  readonly ms: number[] = [];
  timedOut = 0;
  notApplied = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly client: HttpClient,
    private readonly pollMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** `accepted` is the 202 of a create; its body carries the request id. */
  track(accepted: HttpResult, acceptedAt: number): void {
    const { requestId } = JSON.parse(accepted.body) as { requestId: string };
    const p = this.follow(requestId, acceptedAt).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async follow(requestId: string, acceptedAt: number): Promise<void> {
    while (performance.now() - acceptedAt < this.timeoutMs) {
      const res = await this.client.request('GET', `/v1/requests/${requestId}`);
      const state = res.status === 200 ? (JSON.parse(res.body) as { state: string }).state : undefined;
      if (state === 'applied') {
        this.ms.push(performance.now() - acceptedAt);
        return;
      }
      if (state === 'rejected' || state === 'dead_lettered') {
        this.notApplied++;
        return;
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    this.timedOut++;
  }

  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}

let seq = 0;
export function newUser(prefix: string) {
  const id = `${(seq++).toString(36)}${randomBytes(4).toString('hex')}`;
  const digits = String(100_000_000 + Math.floor(Math.random() * 899_999_999));
  return { username: `${prefix}_${id}`.slice(0, 32), password: `pw-${id}-load`, email: `${prefix}.${id}@load.example.com`, phone: `+49151${digits}` };
}

export interface ScenarioContext {
  client: HttpClient;
  runId: string;
  users: SeedUser[];
  waits: WaitForUser | null;
  mix: Record<'login' | 'create' | 'update', number>;
}

const expect = (res: HttpResult, ...ok: number[]): OperationResult => ({ status: res.status, ok: ok.includes(res.status) });

function pick<T>(xs: T[], i: number): T {
  return xs[i % xs.length];
}

/** One request of a scenario; `i` is a per-worker counter used to spread work over seeded users. */
export async function runOperation(name: ScenarioName, ctx: ScenarioContext, worker: number, i: number): Promise<OperationResult> {
  switch (name) {
    case 'login': {
      // Same users and passwords over and over: after the first round these are credential-cache hits.
      const u = pick(ctx.users, worker * 7919 + i);
      return expect(await ctx.client.request('POST', '/v1/auth/login', { username: u.username, password: u.password }), 200);
    }
    case 'login_uncached': {
      // A wrong password is never cached (only successful comparisons are): every request pays a full
      // bcrypt compare, which is what a cache miss costs. 401 is the expected answer.
      const u = pick(ctx.users, worker * 7919 + i);
      return expect(await ctx.client.request('POST', '/v1/auth/login', { username: u.username, password: `${u.password}-wrong` }), 401);
    }
    case 'create': {
      const u = newUser(`ld${ctx.runId}`);
      const res = await ctx.client.request('POST', '/v1/users', u);
      if (res.status === 202 && ctx.waits) ctx.waits.track(res, performance.now());
      return expect(res, 202);
    }
    case 'update': {
      const u = pick(ctx.users, worker * 7919 + i);
      const token = await u.tokens.token();
      const res = await ctx.client.request('PATCH', `/v1/users/${u.username}`, { nickname: `n${i % 1000}` }, { authorization: `Bearer ${token}` });
      return expect(res, 202);
    }
    case 'mixed': {
      const total = ctx.mix.login + ctx.mix.create + ctx.mix.update;
      const r = Math.random() * total;
      const op: ScenarioName = r < ctx.mix.login ? 'login' : r < ctx.mix.login + ctx.mix.create ? 'create' : 'update';
      return runOperation(op, ctx, worker, i);
    }
  }
}

/** Creates `count` users through the gateway and waits until each is active, so logins and updates have accounts. */
export async function seedUsers(client: HttpClient, runId: string, count: number, concurrency = 16): Promise<SeedUser[]> {
  const users: SeedUser[] = [];
  const waits = new WaitForUser(client, 50, 60_000);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        next++;
        const u = newUser(`ls${runId}`);
        let res = await client.request('POST', '/v1/users', u);
        // Refused by overload protection (503 + Retry-After, nothing written): do what it asks.
        for (let tries = 1; res.status === 503 && tries < 30; tries++) {
          await new Promise((r) => setTimeout(r, Math.min(5, Number(res.headers['retry-after']) || 1) * 1000));
          res = await client.request('POST', '/v1/users', u);
        }
        if (res.status !== 202) throw new Error(`seeding a user failed with ${res.status}: ${res.body.slice(0, 200)}`);
        waits.track(res, performance.now());
        users.push({ username: u.username, password: u.password, tokens: new TokenKeeper(client, u.username, u.password) });
      }
    }),
  );
  await waits.drain();
  if (waits.timedOut) throw new Error(`${waits.timedOut} seeded users did not become active within 60 s (is the consumer running?)`);
  if (waits.notApplied) throw new Error(`${waits.notApplied} seeded sign-ups were rejected or dead-lettered (see GET /v1/requests/{requestId})`);
  return users;
}
