export { startPrivateRedis, startPrivatePostgres, startPrivateKafka, freePort } from './private-infra';
export type { PrivateService } from './private-infra';
