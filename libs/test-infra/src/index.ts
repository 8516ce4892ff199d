export { startPrivateRedis, startPrivatePostgres, startPrivateKafka, freePort } from './private-infra';
export type { PrivateService } from './private-infra';
export { waitForPartitionLeaders, fetchTopicOffsetsWhenLed, type TopicOffset } from './kafka-offsets';
export { startPrivateRedisCluster, type PrivateRedisCluster } from './redis-cluster';
export { startPrivateKafkaCluster, startPrivateHaproxy, freePortRange, type PrivateKafkaCluster, type PrivateHaproxy } from './cluster-infra';
