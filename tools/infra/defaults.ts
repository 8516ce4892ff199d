// The one source of the infrastructure's default ports, versions and development credentials.
// The program reads it (env overrides on top, see settings.ts); generators of files that cannot
// import TypeScript (compose, Helm) read it too. Topics are not here: the program creates libs/event-schema's (`topicSpecs()`).
import { DEV_REDIS_PASSWORD, DEV_REDIS_USER } from '@usersys/config';

export const DEFAULT_PORTS = {
  redis: 6379,
  postgres: 5432,
  kafka: 9092,
  /** KAFKA_CONTROLLER_PORT defaults to KAFKA_PORT + 1; cluster node n uses these + 2·(n−1). */
  kafkaController: 9093,
  jaegerUi: 16686,
  jaegerQueryGrpc: 16685,
  jaegerOtlpGrpc: 4317,
  jaegerOtlpHttp: 4318,
  jaegerThriftHttp: 14268,
  /** Redis Cluster node n (1..6) listens on this + n − 1 (and its cluster bus on that + 10000). */
  redisCluster: 7001,
  /** HAProxy in front of the gateways (the cluster topology: :8080). */
  haproxy: 8080,
  prometheus: 9090,
} as const;

/** The services' own default ports (the contract's): Prometheus scrapes these until `npm start` names its instances. */
export const SERVICE_PORTS = { 'auth-gateway': 8080, 'user-command': 8081, 'wal-relay': 9464, 'user-consumer': 9465 } as const;

/** The auth-gateway replicas HAProxy balances in cluster mode (HAPROXY_BACKENDS overrides). */
export const DEFAULT_HAPROXY_BACKENDS = ['127.0.0.1:8091', '127.0.0.1:8092'];

export const VERSIONS = {
  /** First version Maven Central resolves wins (and is then cached). */
  kafka: ['3.9.2', '3.9.1'],
  /**
   * Jaeger v2 is built from the Go module github.com/jaegertracing/jaeger. Its v2 releases are not
   * Go-module versions; the proxy only has the v1.x tags cut from the same commits: the
   * pseudo-version below is the Jaeger v2.20.0 commit, tag v1.76.0 == Jaeger v2.13.0. First one
   * the module proxy serves wins (some proxies refuse the pseudo-version).
   */
  jaeger: [
    { module: 'v1.76.1-0.20260720033334-798e4b0fcf22', label: 'v2.20.0' },
    { module: 'v1.76.0', label: 'v2.13.0' },
  ],
  /** Debian packages (apt-get, root only). */
  debian: { redis: 'redis-server', postgres: 'postgresql', java: 'openjdk-17-jre-headless', maven: 'maven', haproxy: 'haproxy', curl: 'curl', cargo: 'cargo', chromium: 'chromium', prometheus: 'prometheus' },
} as const;

export const JAEGER_MODULE = 'github.com/jaegertracing/jaeger';

/**
 * The Jaeger UI: the binary built from the Go module has only a placeholder page, so the real UI is
 * the production build of Jaeger UI v2.14.1 (Apache-2.0) that the crates.io package otlp-embedded
 * ships in `jaeger-ui/build/`. Fetched once with cargo, the .crate file checked against this sha256
 * (the `cksum` of crates.io's index for this version).
 */
export const JAEGER_UI = {
  crate: 'otlp-embedded',
  version: '0.0.2',
  sha256: '89d4d073869615bdc3a377db062f33220ddb55787a8b5644c56ccc8bccc6a61e',
  folder: 'jaeger-ui/build',
  uiVersion: 'v2.14.1',
} as const;

export const CREDENTIALS = {
  /** Keep in step with libs/config (the default REDIS_URL): Redis's only ACL user; `default` is off. */
  redisUser: DEV_REDIS_USER,
  redisPassword: DEV_REDIS_PASSWORD,
  pgUser: 'usersys',
  pgPassword: 'usersys',
  pgDatabases: ['usersys', 'usersys_test'],
} as const;

/** Kafka settings of the two modes: one node, or three with replication 3 and min ISR 2. */
export const KAFKA_MODES = {
  single: { nodes: 1, replication: 1, minIsr: 1 },
  cluster: { nodes: 3, replication: 3, minIsr: 2 },
} as const;

/** Redis Cluster shape in cluster mode. */
export const REDIS_CLUSTER = { masters: 3, replicasPerMaster: 1 } as const;

/**
 * Container images of docker-compose.yml and the Helm chart (generated into them by
 * tools/compose-parts.ts and tools/helm-contract.ts): the versions this program runs. Kafka and
 * Jaeger are versions listed in VERSIONS; Redis, PostgreSQL and HAProxy are the major versions of
 * Debian 12's packages (redis-server 7.0, postgresql 15, haproxy 2.6).
 */
export const CONTAINER_IMAGES = {
  kafka: 'apache/kafka:3.9.1',
  jaeger: 'jaegertracing/jaeger:2.13.0',
  redis: 'redis:7.0',
  postgres: 'postgres:15',
  haproxy: 'haproxy:2.6',
} as const;
