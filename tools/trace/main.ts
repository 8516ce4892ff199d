// `npm run trace -- <trace-id>` or `npm run trace -- --user <username>`: what happened to a request,
// from Jaeger's API and the local log files, for when the Jaeger UI is not at hand.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { JaegerClient, renderTree, withoutNoise } from '@usersys/trace-query';
import { linesForTrace, logFiles, renderLogLine } from './logs';

// `npm run trace -- x | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

const USAGE = `usage: npm run trace -- <trace-id | traceparent>
       npm run trace -- --user <username> [--all]
  --jaeger <url>   Jaeger query API (default $JAEGER_QUERY_URL or http://127.0.0.1:16686)
  --logs <dir>     log directory to search (default .data/logs, including .data/logs/e2e); repeatable
  --no-logs        spans only
  --all            with --user: every trace found for the user (default: the newest 5)
  --all-spans      also show express middleware and pg-pool.connect spans (hidden by default)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      user: { type: 'string', short: 'u' },
      jaeger: { type: 'string' },
      logs: { type: 'string', multiple: true },
      'no-logs': { type: 'boolean' },
      all: { type: 'boolean' },
      'all-spans': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || (!values.user && positionals.length !== 1)) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`); // asked for: stdout, exit 0
    process.exit(values.help ? 0 : 2);
  }
  const jaeger = new JaegerClient(values.jaeger ?? process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686');
  let traceIds: string[];
  if (values.user) {
    traceIds = await jaeger.traceIdsForUser(values.user);
    if (traceIds.length === 0) {
      process.stderr.write(`no trace in Jaeger with enduser.id=${values.user} in the last 24 h\n`);
      process.exit(1);
    }
    process.stdout.write(`${traceIds.length} trace(s) for user ${values.user}, newest first\n`);
    if (!values.all) traceIds = traceIds.slice(0, 5);
  } else {
    // accept a bare trace id or a whole traceparent header value
    const arg = positionals[0].trim().toLowerCase();
    const id = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(arg)?.[1] ?? arg;
    if (!/^[0-9a-f]{32}$/.test(id)) {
      process.stderr.write(`not a trace id: "${positionals[0]}" (32 hex digits, or a traceparent)\n`);
      process.exit(2);
    }
    traceIds = [id];
  }
  const files = values['no-logs'] ? [] : logFiles(values.logs ?? [path.resolve(__dirname, '../../.data/logs')]);
  let missing = 0;
  for (const id of traceIds) {
    const spans = await jaeger.trace(id);
    const services = [...new Set(spans.map((s) => s.service))];
    process.stdout.write(`\ntrace ${id}: ${spans.length} spans from ${services.join(', ') || 'no service'}\n`);
    if (spans.length === 0) missing++;
    process.stdout.write(`${renderTree(values['all-spans'] ? spans : withoutNoise(spans))}\n`);
    if (files.length) {
      const lines = await linesForTrace(id, files);
      process.stdout.write(`\nlog lines with trace_id=${id} (${lines.length}):\n`);
      for (const l of lines) process.stdout.write(`  ${renderLogLine(l)}\n`);
    }
  }
  if (missing === traceIds.length) process.exit(1);
}

main().catch((err) => {
  process.stderr.write(`trace: ${(err as Error).message}\n`);
  process.exit(1);
});
