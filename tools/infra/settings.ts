// Where things live and which ports they use: the defaults (defaults.ts) with the same environment
// overrides tools/infra.sh always honoured (INFRA_DATA_DIR, REDIS_PORT, PG_PORT, ...).
import os from 'node:os';
import path from 'node:path';
import { CREDENTIALS, DEFAULT_HAPROXY_BACKENDS, DEFAULT_PORTS, VERSIONS } from './defaults';
import { InfraError } from './proc';

export const SERVICE_NAMES = ['redis', 'postgres', 'kafka', 'jaeger', 'prometheus', 'redis-cluster', 'haproxy'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
/** What `up` starts without --cluster (and INFRA_SERVICES' default). */
export const DEFAULT_SERVICES: ServiceName[] = ['redis', 'postgres', 'kafka', 'jaeger', 'prometheus'];
/** What `up --cluster` adds: Kafka switches to three brokers, plus these. */
export const CLUSTER_SERVICES: ServiceName[] = ['redis-cluster', 'haproxy'];

export interface InfraSettings {
  repo: string;
  dataDir: string;
  logsDir: string;
  runDir: string;
  cacheDir: string;
  /** The services to act on (INFRA_SERVICES). */
  services: ServiceName[];
  /** INFRA_SERVICES was set: act on exactly those (else down/status/logs also cover the cluster-mode parts). */
  servicesGiven: boolean;
  redis: { port: number; user: string; password: string };
  postgres: { port: number; user: string; password: string; databases: string[]; bin: string };
  kafka: { port: number; controllerPort: number; versions: string[]; heap: string[]; java: string };
  jaeger: { uiPort: number; queryGrpcPort: number; otlpGrpcPort: number; otlpHttpPort: number; thriftHttpPort: number };
  redisCluster: { port: number };
  haproxy: { port: number; backends: string[] };
  prometheus: { port: number; retention: string };
}

type Env = Record<string, string | undefined>;

export const REPO = path.resolve(__dirname, '../..');

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InfraError(name, 'failed', `'${raw}' is not a port number`);
  return n;
}

const words = (raw: string | undefined): string[] | null => (raw?.trim() ? raw.trim().split(/[\s,]+/) : null);

export function readSettings(env: Env = process.env): InfraSettings {
  const dataDir = path.resolve(env.INFRA_DATA_DIR || path.join(REPO, '.data'));
  const services = (words(env.INFRA_SERVICES) ?? DEFAULT_SERVICES) as ServiceName[];
  for (const s of services) {
    if (!SERVICE_NAMES.includes(s)) throw new InfraError('INFRA_SERVICES', 'failed', `unknown service '${s}' (known: ${SERVICE_NAMES.join(' ')})`);
  }
  const kafkaPort = port(env, 'KAFKA_PORT', DEFAULT_PORTS.kafka);
  return {
    repo: REPO,
    dataDir,
    logsDir: path.join(dataDir, 'logs'),
    runDir: path.join(dataDir, 'run'),
    cacheDir: env.USERSYS_CACHE || path.join(os.homedir(), '.cache/usersys'),
    services,
    servicesGiven: words(env.INFRA_SERVICES) !== null,
    redis: { port: port(env, 'REDIS_PORT', DEFAULT_PORTS.redis), user: env.REDIS_USER || CREDENTIALS.redisUser, password: env.REDIS_PASSWORD || CREDENTIALS.redisPassword },
    postgres: { port: port(env, 'PG_PORT', DEFAULT_PORTS.postgres), user: CREDENTIALS.pgUser, password: CREDENTIALS.pgPassword, databases: [...CREDENTIALS.pgDatabases], bin: env.PG_BIN ?? '' },
    kafka: {
      port: kafkaPort,
      controllerPort: port(env, 'KAFKA_CONTROLLER_PORT', kafkaPort + 1),
      versions: words(env.KAFKA_VERSION) ?? [...VERSIONS.kafka],
      heap: words(env.KAFKA_HEAP) ?? ['-Xms512m', '-Xmx1g'],
      java: env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin/java') : 'java',
    },
    jaeger: {
      uiPort: port(env, 'JAEGER_UI_PORT', DEFAULT_PORTS.jaegerUi),
      queryGrpcPort: port(env, 'JAEGER_QUERY_GRPC_PORT', DEFAULT_PORTS.jaegerQueryGrpc),
      otlpGrpcPort: port(env, 'JAEGER_OTLP_GRPC_PORT', DEFAULT_PORTS.jaegerOtlpGrpc),
      otlpHttpPort: port(env, 'JAEGER_OTLP_HTTP_PORT', DEFAULT_PORTS.jaegerOtlpHttp),
      thriftHttpPort: port(env, 'JAEGER_THRIFT_HTTP_PORT', DEFAULT_PORTS.jaegerThriftHttp),
    },
    redisCluster: { port: port(env, 'REDIS_CLUSTER_PORT', DEFAULT_PORTS.redisCluster) },
    haproxy: { port: port(env, 'HAPROXY_PORT', DEFAULT_PORTS.haproxy), backends: words(env.HAPROXY_BACKENDS) ?? [...DEFAULT_HAPROXY_BACKENDS] },
    prometheus: { port: port(env, 'PROMETHEUS_PORT', DEFAULT_PORTS.prometheus), retention: env.PROMETHEUS_RETENTION || '7d' },
  };
}
