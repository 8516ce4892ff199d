import { AppError, rankMembers } from '@usersys/service-kit';
import http from 'node:http';
import { ERRORS } from '../errors';

export interface ForwardRequest {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ForwardResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** How a failed call to user-command is reported: a request that may have been acted on is never a plain 503. */
export function upstreamFailure(sent: boolean, err: NodeJS.ErrnoException): (typeof ERRORS)['UPSTREAM_UNAVAILABLE' | 'UPSTREAM_OUTCOME_UNKNOWN'] {
  const neverArrived = err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN';
  return sent && !neverArrived ? ERRORS.UPSTREAM_OUTCOME_UNKNOWN : ERRORS.UPSTREAM_UNAVAILABLE;
}

/**
 * Calls one user-command replica over keep-alive HTTP with the internal credential. node:http is used on
 * purpose: the HTTP auto-instrumentation injects the current trace context into these requests.
 */
export class UserCommandClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly internalToken: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.base = new URL(baseUrl);
  }

  forward(req: ForwardRequest): Promise<ForwardResponse> {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: req.method,
          path: req.path,
          timeout: this.timeoutMs,
          headers: {
            ...req.headers,
            'x-internal-token': this.internalToken,
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const name of ['content-type', 'location', 'retry-after']) {
              const v = res.headers[name];
              if (typeof v === 'string') headers[name] = v;
            }
            resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      // Once the request has left this process, a failure says nothing about whether user-command
      // acted on it: that is 504 ("outcome unknown", the client checks its request or user state).
      // Only a request that never left (connection refused) is a definite 503: nothing was written.
      let sent = false;
      outgoing.on('finish', () => {
        sent = true;
      });
      outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('user-command timed out'), { code: 'ETIMEDOUT' })));
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        const spec = upstreamFailure(sent, err);
        reject(new AppError(spec, undefined, { cause: err, ...(spec.status === 503 ? { headers: { 'Retry-After': '1' } } : {}) }));
      });
      outgoing.end(payload);
    });
  }

  healthz(): Promise<void> {
    return new Promise((resolve, reject) => {
      http.get(new URL('/healthz', this.base), (res) => (res.resume(), res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)))).on('error', reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Why a routed call was answered 503: the owner (every replica, for a read) could not be reached, or it refused the name (fence). */
export type RoutingRefusal = 'unreachable' | 'not_owner';

/** What a call is routed by: the username it is about, or (a request-id lookup) the request id. */
export interface RoutedRequest extends ForwardRequest {
  routeKey: string;
}

/** A failure that proves the request never reached the replica, so another one may be asked. */
const neverArrived = (err: unknown) => err instanceof AppError && err.code === ERRORS.UPSTREAM_UNAVAILABLE.code;

/**
 * The user-command replicas, each username owned by one of them (rendezvous hashing over
 * USER_COMMAND_URLS, the same function user-command's fence uses). Why: a username's writes then go
 * through one WAL and one relay into its one Kafka partition, so they are applied in the order they
 * were accepted, whichever gateway took them.
 *
 * - Writes go to the owner only. Owner unreachable → 503 + Retry-After (120001): no hand-over to
 *   another replica, since the owner's WAL may still hold earlier writes for that name (the
 *   supervisor restarts it in seconds; a replica that is not coming back is an operator action,
 *   see the README's "Routing").
 * - The owner refusing the name (421 from its fence: its replica list differs from this gateway's,
 *   during a membership change) → 503 + Retry-After (120004), nothing was written.
 * - Reads (GET) change nothing and every replica answers them alike (PostgreSQL and Redis): the
 *   owner first, then the next replica in the ranking when the owner cannot be reached.
 * Each such 503 is reported to `onRefusal` (the gateway counts them: user_command_routing_refusals_total).
 */
export class UserCommandRouter {
  private readonly replicas = new Map<string, UserCommandClient>();

  constructor(
    readonly urls: readonly string[],
    internalToken: string,
    private readonly options: { timeoutMs?: number; onRefusal?: (reason: RoutingRefusal) => void } = {},
  ) {
    if (urls.length === 0) throw new Error('UserCommandRouter: no user-command replica');
    for (const url of urls) this.replicas.set(url, new UserCommandClient(url, internalToken, options.timeoutMs));
  }

  /** The replica that owns a username (or a request id). */
  ownerOf(routeKey: string): string {
    return rankMembers(this.urls, routeKey)[0];
  }

  async forward(req: RoutedRequest): Promise<ForwardResponse> {
    const ranking = rankMembers(this.urls, req.routeKey);
    const candidates = req.method === 'GET' ? ranking : ranking.slice(0, 1);
    for (let i = 0; ; i++) {
      try {
        const response = await this.replica(candidates[i]).forward(req);
        if (response.status === 421) throw new AppError(ERRORS.UPSTREAM_NOT_OWNER, undefined, { headers: { 'Retry-After': '1' } });
        return response;
      } catch (err) {
        if (i + 1 < candidates.length && neverArrived(err)) continue;
        if (err instanceof AppError && err.code === ERRORS.UPSTREAM_NOT_OWNER.code) this.options.onRefusal?.('not_owner');
        else if (neverArrived(err)) this.options.onRefusal?.('unreachable');
        throw err;
      }
    }
  }

  /** Resolves once any replica answers /healthz with 200 (the gateway's readiness check). */
  anyReplicaHealthy(): Promise<unknown> {
    return Promise.any(this.urls.map((url) => this.replica(url).healthz()));
  }

  close(): void {
    for (const client of this.replicas.values()) client.close();
  }

  private replica(url: string): UserCommandClient {
    const client = this.replicas.get(url);
    if (!client) throw new Error(`unknown user-command replica ${url}`);
    return client;
  }
}
