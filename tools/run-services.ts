// `npm start` ends here: all four services in the foreground with prefixed logs (also written to
// .data/logs/<service>.log). A service that exits is restarted with backoff (the supervisor logs
// each exit and restart); Ctrl-C stops them all gracefully.
import { startServices, Supervisor } from '@usersys/service-runner';

async function main(): Promise<void> {
  const services = await startServices({ echo: true });
  const url = (name: string) => `http://127.0.0.1:${services.portOf(name)}`;
  process.stdout.write(
    [
      '',
      'usersys is up:',
      `  auth-gateway   ${url('auth-gateway')}        (public API, see README)`,
      `  user-command   ${url('user-command')}        (internal)`,
      `  wal-relay      ${url('wal-relay')}/metrics`,
      `  user-consumer  ${url('user-consumer')}/metrics`,
      '  Jaeger UI      http://127.0.0.1:16686   (search: service user-command, tags enduser.id=<username>)',
      'Ctrl-C stops the services (the infrastructure keeps running: `bash tools/infra.sh down`).',
      '',
    ].join('\n'),
  );
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
