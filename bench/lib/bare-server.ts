// The HTTP ceiling the benchmarks compare against: a bare express 5 JSON endpoint, in its own
// process like the real services, doing nothing but parse the body and answer.
//   node --import tsx bench/lib/bare-server.ts <port>
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '16kb' }));
app.post('/bare', (req, res) => {
  res.status(202).json({ ok: true, size: Object.keys(req.body ?? {}).length });
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
const server = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
