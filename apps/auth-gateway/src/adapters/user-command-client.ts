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
      outgoing.on('timeout', () => outgoing.destroy(new Error('user-command timed out')));
      outgoing.on('error', (err) => reject(new AppError(ERRORS.UPSTREAM_UNAVAILABLE, undefined, { cause: err })));
      outgoing.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
