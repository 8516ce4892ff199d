import express, { type Express, type RequestHandler, type Router } from 'express';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { COMMON_ERRORS, errorHandler, type ErrorSpec } from './errors';
import { httpMetricsMiddleware, type ServiceMetrics } from './metrics';

export type ReadinessChecks = Record<string, () => Promise<unknown>>;

/**
 * An express app with the endpoints every service serves (docs/architecture.md): `/healthz` (process up;
 * 503 only when a `liveness` check fails, i.e. the process should be restarted), `/readyz`
 * (dependencies reachable, each check named) and `/metrics` (Prometheus text).
 */
export function createServiceApp(options: { metrics: ServiceMetrics; readiness: ReadinessChecks; liveness?: ReadinessChecks; log: Logger; routes?: (app: Express) => void; bodyLimit?: string; early?: RequestHandler[] }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(httpMetricsMiddleware(options.metrics));
  // Runs before body parsing, so even a 400 for malformed JSON gets what these add (e.g. traceparent).
  for (const handler of options.early ?? []) app.use(handler);
  app.get('/healthz', async (_req, res) => {
    if (!options.liveness) {
      res.json({ status: 'ok' });
      return;
    }
    const checks = await runChecks(options.liveness);
    const live = Object.values(checks).every((r) => r === 'ok');
    res.status(live ? 200 : 503).json({ status: live ? 'ok' : 'restart needed', checks });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await runChecks(options.readiness);
    const ready = Object.values(checks).every((r) => r === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', options.metrics.registry.contentType);
    res.send(await options.metrics.registry.metrics());
  });
  app.use(express.json({ limit: options.bodyLimit ?? '16kb', strict: true }));
  options.routes?.(app);
  app.use((_req, res) => {
    res.status(404).json({ code: 100004, message: 'not found' });
  });
  app.use(errorHandler(options.log));
  return app;
}

export function listen(app: Express | Router, port: number, host: string, log: Logger): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = (app as Express).listen(port, host, () => {
      log.info({ port, host }, 'listening');
      resolve(server);
    });
    server.keepAliveTimeout = 65_000;
    answerClientErrorsWithJson(server, log);
    trackResponses(server);
    server.once('error', reject);
  });
}

/** What Node's own refusal of an unparsable request means, by the parser's error code. */
function clientErrorSpec(code: string | undefined): ErrorSpec {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return COMMON_ERRORS.HEADERS_TOO_LARGE;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return COMMON_ERRORS.BODY_TOO_LARGE;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return COMMON_ERRORS.REQUEST_TIMEOUT;
    default:
      return COMMON_ERRORS.MALFORMED_REQUEST;
  }
}

/**
 * Node refuses some requests before express sees them: headers over `maxHeaderSize` (431), a
 * request line or header its parser cannot read (400), a request not received within
 * `requestTimeout` (408). Its default answer has no body; this one writes the same status as a
 * raw HTTP/1.1 response with the contract's `{code, message}` JSON, then closes the connection.
 */
export function answerClientErrorsWithJson(server: Server, log?: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's default: never write into a response already under way (pipelining) or to a peer that is gone.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const spec = clientErrorSpec(err.code);
    log?.debug({ code: err.code, status: spec.status }, 'refused a request Node could not accept');
    const body = JSON.stringify({ code: spec.code, message: spec.message });
    socket.end(
      `HTTP/1.1 ${spec.status} ${STATUS_CODES[spec.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
}

/** Responses being written, per server (listen() tracks them), for closeServer. */
const responsesInFlight = new WeakMap<Server, Set<ServerResponse>>();

function trackResponses(server: Server): void {
  const open = new Set<ServerResponse>();
  responsesInFlight.set(server, open);
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
  });
}

/**
 * Stops taking requests and resolves once every connection is closed, without cutting a request
 * off. `server.close()` alone refuses new connections and destroys the idle kept-alive ones at
 * once; a client sending on one at that moment gets a reset (for a write: an unknown outcome), and
 * a client that keeps its connection busy (a load balancer, the gateway's pool) holds the server
 * open for good. Instead:
 * - every response from now on (to a request in flight, or one that still comes on an open
 *   connection) carries `Connection: close`, and Node closes its connection once it is written;
 * - connections that stay idle are closed after `idleGraceMs` (a busy client has sent its next
 *   request by then and been told to close);
 * - whatever is still open after `graceMs` (a response already under way, a stuck client) is cut.
 */
export function closeServer(server: Server, { idleGraceMs = 1000, graceMs = 10_000 } = {}): Promise<void> {
  const closing = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  return new Promise((resolve) => {
    for (const res of responsesInFlight.get(server) ?? []) closing(res);
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => closing(res));
    const idle = setTimeout(() => server.closeIdleConnections(), idleGraceMs);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    // net.Server's close, not http.Server's: stop accepting without destroying the idle connections yet.
    net.Server.prototype.close.call(server, () => {
      clearTimeout(idle);
      clearTimeout(cut);
      server.close(() => undefined); // now http.Server's too: it stops its connection-checking timer
      resolve();
    });
  });
}

async function runChecks(checks: ReadinessChecks): Promise<Record<string, string>> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 1000);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, (err as Error).message || 'failed'] as const;
      }
    }),
  );
  return Object.fromEntries(results);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
