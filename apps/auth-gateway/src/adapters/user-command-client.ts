import { AppError } from '@usersys/service-kit';
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

/**
 * Calls user-command over keep-alive HTTP with the internal credential. node:http is used on
 * purpose: the HTTP auto-instrumentation injects the current trace context into these requests.
 */
/** How a failed call to user-command is reported: a request that may have been acted on is never a plain 503. */
export function upstreamFailure(sent: boolean, err: NodeJS.ErrnoException): (typeof ERRORS)['UPSTREAM_UNAVAILABLE' | 'UPSTREAM_OUTCOME_UNKNOWN'] {
  const neverArrived = err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN';
  return sent && !neverArrived ? ERRORS.UPSTREAM_OUTCOME_UNKNOWN : ERRORS.UPSTREAM_UNAVAILABLE;
}

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

  close(): void {
    this.agent.destroy();
  }
}
