// What `npm start -- --cluster` hands to startServices: the cluster topology wired to a running
// cluster-mode infrastructure (its brokers, Redis Cluster nodes, PostgreSQL, Jaeger and HAProxy's
// backends, which are the gateways' ports). tools/run-services.ts uses it on the default one; tests
// on a private one (tools/infra with port overrides).
import { CLUSTER_SERVICES, DEFAULT_SERVICES, envLines, type Context } from '@usersys/infra';
import type { StartOptions } from './services';
import { clusterTopology, type ClusterTopologyOptions } from './topology';

/** Connection variables the services take from the infrastructure (unless `env` sets them already). */
const FROM_INFRA = ['KAFKA_BROKERS', 'REDIS_CLUSTER_NODES', 'REDIS_URL', 'DATABASE_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT'];

/**
 * `env`: variables already given (default process.env) win over the infrastructure's; pass {} to
 * take every connection from `ctx` (a private infrastructure).
 */
export function clusterStartOptions(ctx: Context, topology: Omit<ClusterTopologyOptions, 'gatewayPorts'> = {}, env: Record<string, string | undefined> = process.env): StartOptions {
  const infra = Object.fromEntries(envLines(ctx, [...DEFAULT_SERVICES, ...CLUSTER_SERVICES]).map((line) => line.split(/=(.*)/s).slice(0, 2)));
  if (!infra.REDIS_CLUSTER_NODES || (infra.KAFKA_BROKERS ?? '').split(',').length < 3) {
    throw new Error('the cluster infrastructure is not running (three Kafka brokers and a Redis Cluster): bash tools/infra.sh up --cluster');
  }
  const shared = Object.fromEntries(FROM_INFRA.filter((k) => !env[k] && infra[k]).map((k) => [k, infra[k]]));
  return {
    instances: clusterTopology({ ...topology, gatewayPorts: ctx.settings.haproxy.backends.map((b) => Number(b.split(':').pop())) }),
    env: shared,
    healthTimeoutMs: 180_000, // nine processes loading TypeScript at once on a small machine
  };
}
