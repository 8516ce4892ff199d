// `npm start` ends here: all four services in the foreground with prefixed logs (also written to
// .data/logs/<service>.log); Ctrl-C stops them gracefully.
import { SERVICES, startServices } from '@usersys/service-runner';

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
      '  Jaeger         http://127.0.0.1:16686/api/v3/services',
      'Ctrl-C stops the services (the infrastructure keeps running: `bash tools/infra.sh down`).',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await services.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const spec of SERVICES) {
    services.processes.get(spec.name)!.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`${spec.name} exited (code ${code}, signal ${signal}); stopping the others\n`);
      void stop().then(() => process.exit(1));
    });
  }
}

main().catch((err) => {
  process.stderr.write(`run-services: ${(err as Error).message}\n`);
  process.exit(1);
});
