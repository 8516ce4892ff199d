import { envString } from './env';

type Env = Record<string, string | undefined>;

export const DEV_CACHE_HMAC_KEY = 'dev-cache-hmac-key-change-me-0123456789';

/** CACHE_HMAC_KEY: seals `user:cache:*` entries (gateway, user-command and user-consumer must share it). */
export function cacheHmacKey(env: Env = process.env): string {
  return envString(env, 'CACHE_HMAC_KEY', DEV_CACHE_HMAC_KEY);
}
