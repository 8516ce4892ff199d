import { envPort, envString, envUrl, loadInfraConfig, type InfraConfig } from '@usersys/config';

export interface GatewayConfig extends InfraConfig {
  port: number;
  host: string;
  userCommandUrl: string;
  internalToken: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return {
    ...loadInfraConfig(env),
    port: envPort(env, 'AUTH_GATEWAY_PORT', 8080),
    host: envString(env, 'AUTH_GATEWAY_HOST', '127.0.0.1'),
    userCommandUrl: envUrl(env, 'USER_COMMAND_URL', 'http://127.0.0.1:8081', ['http:', 'https:']),
    internalToken: envString(env, 'INTERNAL_TOKEN', 'dev-internal-token'),
  };
}
