import { ADMIN_PASSWORD, ConfigError, checkRedisUrl, DEFAULT_REDIS_URL, envSecret, INTERNAL_TOKEN, JWT_SECRET, type SecretWarning } from './index';

const PROD = { NODE_ENV: 'production' };
const GOOD = 'a-secret-of-at-least-32-bytes-0123456789';

/** The ConfigError's one line, so the assertion also proves the message names the variable. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('envSecret in production (NODE_ENV=production)', () => {
  it.each([
    ['unset', {}, /^config: JWT_SECRET: must be set when NODE_ENV=production/],
    ['blank', { JWT_SECRET: '   ' }, /^config: JWT_SECRET: must be set/],
    ['the development default', { JWT_SECRET: JWT_SECRET.devDefault }, /^config: JWT_SECRET: is a development default/],
    ['an older development value', { JWT_SECRET: 'dev-jwt-secret-change-me' }, /^config: JWT_SECRET: is a development default/],
    ['too short', { JWT_SECRET: 'x'.repeat(31) }, /^config: JWT_SECRET: must be at least 32 bytes \(it has 31\) when NODE_ENV=production$/],
  ])('refuses a secret that is %s, naming it in one line', (_what, env, message) => {
    const line = refusal(() => envSecret({ ...PROD, ...env }, JWT_SECRET, []));
    expect(line).toMatch(message);
    expect(line).not.toContain('\n');
  });

  it('counts bytes, not characters, and never echoes the value', () => {
    const line = refusal(() => envSecret({ ...PROD, INTERNAL_TOKEN: 'é'.repeat(15) }, INTERNAL_TOKEN, []));
    expect(line).toMatch(/it has 30\)/);
    expect(line).not.toContain('é');
  });

  it('holds ADMIN_PASSWORD to 8-72 bytes', () => {
    expect(refusal(() => envSecret({ ...PROD, ADMIN_PASSWORD: 'short' }, ADMIN_PASSWORD, []))).toMatch(/ADMIN_PASSWORD: must be 8-72 bytes/);
    expect(refusal(() => envSecret({ ...PROD, ADMIN_PASSWORD: 'p'.repeat(73) }, ADMIN_PASSWORD, []))).toMatch(/ADMIN_PASSWORD: must be 8-72 bytes/);
    expect(refusal(() => envSecret({ ...PROD, ADMIN_PASSWORD: ADMIN_PASSWORD.devDefault }, ADMIN_PASSWORD, []))).toMatch(/ADMIN_PASSWORD: is a development default/);
    expect(envSecret({ ...PROD, ADMIN_PASSWORD: 'p'.repeat(72) }, ADMIN_PASSWORD, [])).toBe('p'.repeat(72));
  });

  it('accepts a good secret without a warning', () => {
    const warnings: SecretWarning[] = [];
    expect(envSecret({ ...PROD, JWT_SECRET: ` ${GOOD} ` }, JWT_SECRET, warnings)).toBe(GOOD);
    expect(warnings).toEqual([]);
  });
});

describe('envSecret outside production', () => {
  it.each([{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }])('falls back to the development default with one warning (%p)', (env) => {
    const warnings: SecretWarning[] = [];
    expect(envSecret(env, INTERNAL_TOKEN, warnings)).toBe('dev-internal-token');
    expect(warnings).toEqual([{ variable: 'INTERNAL_TOKEN', message: expect.stringMatching(/^INTERNAL_TOKEN is not set: using the development default/) }]);
  });

  it('accepts a short value with a warning, but keeps rules that hold everywhere (ADMIN_PASSWORD 8-72 bytes)', () => {
    const warnings: SecretWarning[] = [];
    expect(envSecret({ INTERNAL_TOKEN: 'test-token' }, INTERNAL_TOKEN, warnings)).toBe('test-token');
    expect(warnings).toEqual([{ variable: 'INTERNAL_TOKEN', message: expect.stringContaining('must be at least 32 bytes') }]);
    expect(refusal(() => envSecret({ ADMIN_PASSWORD: 'short' }, ADMIN_PASSWORD, []))).toMatch(/^config: ADMIN_PASSWORD: must be 8-72 bytes \(it has 5\)$/);
  });

  it('warns about a development value that is set explicitly, once', () => {
    const warnings: SecretWarning[] = [];
    expect(envSecret({ INTERNAL_TOKEN: 'dev-internal-token' }, INTERNAL_TOKEN, warnings)).toBe('dev-internal-token');
    expect(warnings).toEqual([{ variable: 'INTERNAL_TOKEN', message: 'INTERNAL_TOKEN is a development default (refused when NODE_ENV=production)' }]);
  });

  it('says nothing about a good secret', () => {
    const warnings: SecretWarning[] = [];
    envSecret({ JWT_SECRET: GOOD }, JWT_SECRET, warnings);
    expect(warnings).toEqual([]);
  });
});

describe('checkRedisUrl', () => {
  it('refuses the development Redis password in production only', () => {
    expect(refusal(() => checkRedisUrl(PROD, DEFAULT_REDIS_URL, []))).toMatch(/^config: REDIS_URL: carries the development Redis password/);
    expect(refusal(() => checkRedisUrl(PROD, `${DEFAULT_REDIS_URL}/3`, []))).toMatch(/REDIS_URL/);
    const warnings: SecretWarning[] = [];
    checkRedisUrl({}, DEFAULT_REDIS_URL, warnings);
    expect(warnings).toEqual([]);
  });

  it('warns in production about a URL without a password, and accepts one with its own', () => {
    const warnings: SecretWarning[] = [];
    checkRedisUrl(PROD, 'redis://redis.internal:6379', warnings);
    expect(warnings).toEqual([{ variable: 'REDIS_URL', message: expect.stringContaining('no password') }]);
    const none: SecretWarning[] = [];
    checkRedisUrl(PROD, 'rediss://usersys:s3cr%40t@redis.internal:6380', none);
    expect(none).toEqual([]);
  });
});
