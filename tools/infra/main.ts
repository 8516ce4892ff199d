// The infrastructure CLI (tools/infra.sh execs it once Node is there).
import { execFileSync } from 'node:child_process';
import { COMPONENTS, createContext, down, envLines, logs, reset, status, up } from './infra';
import { ensureDir, InfraError, run } from './proc';
import { ensureBrowser } from './jaeger-ui';
import { CLUSTER_SERVICES, readSettings } from './settings';
import { CREDENTIALS } from './defaults';

export const USAGE = `Local infrastructure for the usersys monorepo, without Docker:
Redis, PostgreSQL, Kafka (KRaft) and Jaeger v2 (with its UI on :16686) as plain processes on 127.0.0.1.

  tools/infra.sh up [--kafka-cluster]   start (idempotent), wait until ready, print URLs
  tools/infra.sh up --cluster           the replicated topology: 3 Kafka brokers (replication 3,
                                        min ISR 2), a Redis Cluster (3 masters + 3 replicas) and
                                        HAProxy in front of the gateways, besides the rest
  tools/infra.sh up --docker            the same from docker-compose.yml (needs a Docker engine)
  tools/infra.sh down                   stop what we started (graceful, then SIGKILL)
  tools/infra.sh status                 one line per service (exit 3 if something is down)
  tools/infra.sh logs [service]         last 100 lines of the log(s)
  tools/infra.sh reset                  down + wipe the data
  tools/infra.sh env                    print the connection variables as shell exports
  tools/infra.sh browser                install Debian's chromium when missing (the Jaeger UI's
                                        browser test; npm test runs this), print its path

Everything lives in <repo>/.data: <svc>/ data, logs/<svc>.log, run/<svc>.pid.
Downloads and builds (Kafka jars, Jaeger binary, Jaeger UI) are cached in \${USERSYS_CACHE:-~/.cache/usersys},
so another clone on the same machine starts without any network access.
The program is tools/infra/ (one module per component); defaults live in tools/infra/defaults.ts.

Environment:
  INFRA_SERVICES   subset to act on (default "redis postgres kafka jaeger"; also redis-cluster, haproxy)
  REDIS_PORT (6379) PG_PORT (5432) KAFKA_PORT (9092) KAFKA_CONTROLLER_PORT (KAFKA_PORT + 1)
  REDIS_USER (usersys) REDIS_PASSWORD (the development one in libs/config): Redis's only ACL user
    (the \`default\` user is off); clients connect with redis://$REDIS_USER:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT
  JAEGER_UI_PORT (16686) JAEGER_OTLP_GRPC_PORT (4317) JAEGER_OTLP_HTTP_PORT (4318)
  JAEGER_THRIFT_HTTP_PORT (14268) JAEGER_QUERY_GRPC_PORT (16685)
  REDIS_CLUSTER_PORT (7001: nodes on 7001..7006, buses on +10000)
  HAPROXY_PORT (8080) HAPROXY_BACKENDS (127.0.0.1:8091,127.0.0.1:8092: the gateway replicas)
  INFRA_DATA_DIR (<repo>/.data)
  KAFKA_VERSION (try 3.9.2 then 3.9.1)  KAFKA_HEAP ("-Xms512m -Xmx1g")  PG_BIN (auto)

Errors end in ONE line on stderr: "infra: <what> failed|missing: <why>; see <logfile>".
`;

/**
 * \`up --docker\`: the same infrastructure from docker-compose.yml's official images, for users who
 * have a Docker engine (none runs on the CI machines, so the process-based path is the default).
 */
async function upDocker(repo: string): Promise<void> {
  await run('sh', ['-c', 'command -v docker']).catch(() => {
    throw new InfraError('docker', 'missing', 'no docker client on PATH; run without --docker');
  });
  await run('docker', ['info']).catch(() => {
    throw new InfraError('docker', 'failed', 'no Docker engine answers (docker info failed); run without --docker');
  });
  // Development infrastructure only: the same Redis ACL user and PostgreSQL password as the
  // process-based path. Compose checks every variable of the file, also those of the apps it does
  // not start here, so those get placeholders that nothing uses.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_PASSWORD: process.env.REDIS_PASSWORD || CREDENTIALS.redisPassword,
    POSTGRES_PASSWORD: process.env.POSTGRES_PASSWORD || CREDENTIALS.pgPassword,
  };
  for (const v of ['JWT_SECRET', 'INTERNAL_TOKEN', 'ADMIN_PASSWORD', 'CACHE_HMAC_KEY']) env[v] ||= 'infra-only-unused';
  const compose = ['compose', '-f', `${repo}/docker-compose.yml`];
  try {
    execFileSync('docker', [...compose, 'up', '-d', '--wait', 'redis', 'postgres', 'kafka', 'jaeger'], { env, stdio: 'inherit' });
  } catch {
    throw new InfraError('docker', 'failed', 'docker compose up failed; see docker compose logs');
  }
  try {
    execFileSync('docker', [...compose, 'up', 'kafka-topics'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    throw new InfraError('docker', 'failed', 'topic creation failed');
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const settings = readSettings();
  switch (cmd) {
    case 'up': {
      const options = { kafkaCluster: false, cluster: false };
      for (const a of args) {
        if (a === '--kafka-cluster') options.kafkaCluster = true;
        else if (a === '--cluster') options.cluster = true;
        else if (a === '--docker') return upDocker(settings.repo).then(() => 0);
        else throw new InfraError('up', 'failed', `unknown option '${a}' (--kafka-cluster, --cluster or --docker)`);
      }
      for (const line of await up(createContext(settings, undefined, options), options)) process.stdout.write(`  ${line}\n`);
      return 0;
    }
    case 'down':
      await down(createContext(settings));
      return 0;
    case 'reset':
      await reset(createContext(settings));
      return 0;
    case 'status':
      return status(createContext(settings));
    case 'logs':
      await logs(createContext(settings), args[0]);
      return 0;
    case 'env': {
      // the cluster-mode parts too while they run (REDIS_CLUSTER_NODES, GATEWAY_URL)
      const ctx = createContext(settings);
      const running = settings.servicesGiven ? [] : await Promise.all(CLUSTER_SERVICES.map(async (s) => ((await COMPONENTS[s].status(ctx)).length ? [s] : [])));
      for (const line of envLines(ctx, [...settings.services, ...running.flat()])) process.stdout.write(`export ${line}\n`);
      return 0;
    }
    case 'browser': {
      const ctx = createContext(settings);
      ensureDir(settings.logsDir);
      process.stdout.write(`${await ensureBrowser(ctx)}\n`);
      return 0;
    }
    default:
      process.stderr.write(USAGE);
      return 2;
  }
}

// Output piped into e.g. `head` that closed early: not an error (like SIGPIPE for a shell script).
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 141 : 1));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof InfraError) process.stderr.write(`${err.message}\n`);
    // still one line; the stack only on request
    else if (process.env.INFRA_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    else process.stderr.write(`infra: tools/infra failed: unexpected error: ${String((err as Error)?.message ?? err).replace(/\s*\n\s*/g, ' ')} (INFRA_DEBUG=1 shows the stack)\n`);
    process.exit(1);
  },
);
