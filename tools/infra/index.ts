// The infrastructure program as a library: libs/test-infra starts its private servers with these
// components; tools/infra/main.ts is the CLI (tools/infra.sh).
export { createContext, up, down, reset, status, statusLines, envLines, COMPONENTS, type UpOptions, type State } from './infra';
export type { Component, Context, StatusLine } from './component';
export { readSettings, REPO, SERVICE_NAMES, DEFAULT_SERVICES, CLUSTER_SERVICES, type InfraSettings, type ServiceName } from './settings';
export { DEFAULT_PORTS, SERVICE_PORTS, DEFAULT_HAPROXY_BACKENDS, VERSIONS, CREDENTIALS, KAFKA_MODES, REDIS_CLUSTER, CONTAINER_IMAGES } from './defaults';
export { InfraError, alive, childrenOf, readPid, type Say } from './proc';
export { kafkaBootstrap, electPreferredLeaders } from './kafka';
export { redisClusterNodes, redisClusterProcesses, clusterInfo } from './redis-cluster';
export { haproxyConfig, haproxyConfigText } from './haproxy';
export { writeScrapeTargets, singleTargets, prometheusConfig, SCRAPED_APPS, RULES_GLOB, type ScrapeTarget, type ScrapedApp } from './prometheus';
export { redisPing } from './redis';
export { freePortBase } from './ports.spec-helper';
