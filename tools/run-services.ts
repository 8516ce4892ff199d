// `npm start` ends here: all four services in the foreground with prefixed logs (also written to
// .data/logs/<instance>.log). `npm start -- --cluster` runs the replicated topology instead (service-
// runner's clusterTopology(): 2 gateways behind HAProxy, 2 user-command replicas each with its own
// WAL and relay, 3 consumers) against the cluster-mode infrastructure that bootstrap brought up.
// An instance that exits is restarted with backoff (the supervisor logs each exit and restart);
// Ctrl-C stops them all gracefully.
import { parseArgs } from 'node:util';
import { createContext, readSettings } from '@usersys/infra';
import { clusterStartOptions, startServices, Supervisor, type RunningServices } from '@usersys/service-runner';

const HELP = `usage: npm start [-- --cluster]
  (no flag)   the four services, one process each (gateway on :8080)
  --cluster   the replicated topology: HAProxy :8080 → 2 auth-gateways, 2 user-command replicas
              (each with its own WAL and wal-relay), 3 user-consumers in one group, on 3 Kafka
              brokers and a Redis Cluster (bootstrap runs \`infra.sh up --cluster\` first)`;

function singleBanner(services: RunningServices): string[] {
  return [
    'usersys is up:',
    `  auth-gateway   ${services.urlOf('auth-gateway')}        (public API, see README)`,
    `  user-command   ${services.urlOf('user-command')}        (internal)`,
    `  wal-relay      ${services.urlOf('wal-relay')}/metrics`,
    `  user-consumer  ${services.urlOf('user-consumer')}/metrics`,
    '  Jaeger UI      http://127.0.0.1:16686   (search: service user-command, tags enduser.id=<username>)',
    'Ctrl-C stops the services (the infrastructure keeps running: `bash tools/infra.sh down`).',
  ];
}

function clusterBanner(services: RunningServices): string[] {
  const settings = readSettings();
  const urls = (app: string) => services.instances.filter((i) => i.app === app).map((i) => services.urlOf(i.name)).join('  ');
  return [
    'usersys (cluster topology) is up:',
    `  HAProxy        http://127.0.0.1:${settings.haproxy.port}        (public API, see README; balances the gateways)`,
    `  auth-gateway   ${urls('auth-gateway')}`,
    `  user-command   ${urls('user-command')}   (internal; each with its own WAL)`,
    `  wal-relay      ${urls('wal-relay')}   (/metrics)`,
    `  user-consumer  ${urls('user-consumer')}   (/metrics)`,
    '  Jaeger UI      http://127.0.0.1:16686   (search: service user-command, tags enduser.id=<username>)',
    'Ctrl-C stops the services (the infrastructure keeps running: `bash tools/infra.sh down` stops it,',
    'and is needed before a plain `npm start`: HAProxy holds :8080).',
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { cluster: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void process.stdout.write(`${HELP}\n`);
  const services = await startServices({ echo: true, ...(values.cluster ? clusterStartOptions(createContext(readSettings(), () => {}, { cluster: true })) : {}) });
  process.stdout.write(['', ...(values.cluster ? clusterBanner(services) : singleBanner(services)), ''].join('\n'));
  const supervisor = new Supervisor(services);
  supervisor.start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    supervisor.stop();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`run-services: ${(err as Error).message}\n`);
  process.exit(1);
});
