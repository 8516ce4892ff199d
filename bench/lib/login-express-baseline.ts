// The HTTP ceiling for bench/login.bench.ts: a bare express 5 app with the same JSON body parsing
// as the gateway, answering a small JSON object. Prints its port once listening.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ limit: '16kb' }));
app.post('/v1/auth/login', (req, res) => {
  res.json({ accessToken: 'x', refreshToken: 'y', tokenType: 'Bearer', expiresIn: 900, user: typeof req.body?.username === 'string' ? req.body.username : null });
});
// The same loop-delay measurement as the gateway's metric, so the bench can tell the machine's share.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
app.get('/stall', (_req, res) => {
  res.json({ maxMs: delay.max / 1e6 });
  delay.reset();
});
const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
