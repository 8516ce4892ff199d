import { ConfigError, envBool, envDirName, envDurationMs, envHost, envInt, envUrl, envUrlList, formatDuration, loadInfraConfig, parseDuration } from './index';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['2m0s', 120_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'ten seconds', '5d', '-1s'])('rejects %p', (text) => expect(() => parseDuration(text)).toThrow(/not a duration/));
});

describe('formatDuration', () => {
  it.each([
    [120_000, '2m0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [1500, '1.5s'],
  ])('%d ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('env readers', () => {
  it('names the variable in the error', () => {
    expect(() => envInt({ LOGIN_RATE_LIMIT: 'lots' }, 'LOGIN_RATE_LIMIT', 5)).toThrow('config: LOGIN_RATE_LIMIT: "lots" is not an integer');
    expect(() => envDurationMs({ LOGIN_WINDOW: '2 minutes' }, 'LOGIN_WINDOW', '2m')).toThrow(ConfigError);
    expect(() => envBool({ ENABLE_RATE_LIMITER: 'maybe' }, 'ENABLE_RATE_LIMITER', true)).toThrow(/ENABLE_RATE_LIMITER/);
    expect(() => envUrl({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', 'postgresql://x', ['postgresql:'])).toThrow(/DATABASE_URL: must start with postgresql:/);
  });

  it('applies defaults and ranges', () => {
    expect(envInt({}, 'X', 7)).toBe(7);
    expect(() => envInt({ X: '0' }, 'X', 7, { min: 1 })).toThrow(/below the minimum 1/);
    expect(envDurationMs({}, 'W', '2m')).toBe(120_000);
    expect(envBool({ B: 'off' }, 'B', true)).toBe(false);
  });

  it('reads a directory name that stays inside its parent', () => {
    expect(envDirName({}, 'WAL_NAME', 'user-command')).toBe('user-command');
    expect(envDirName({ WAL_NAME: 'uc-1.a_b' }, 'WAL_NAME', 'x')).toBe('uc-1.a_b');
    for (const bad of ['.', '..', 'a/b', '../escape', 'a b']) expect(() => envDirName({ WAL_NAME: bad }, 'WAL_NAME', 'x')).toThrow(/^config: WAL_NAME: use letters/);
  });

  it('reads a listen address: an IP address or a host name', () => {
    for (const ok of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'gateway-0.gateway.svc']) expect(envHost({ HOST: ok }, 'HOST', 'x')).toBe(ok);
    for (const bad of ['http://localhost', 'host:8080', 'a b', '-leading', 'under_score']) expect(() => envHost({ HOST: bad }, 'HOST', 'x')).toThrow(/^config: HOST: ".*" is not an IP address or host name$/);
  });

  it('loads infrastructure settings with contract defaults', () => {
    const cfg = loadInfraConfig({ KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(cfg.redisUrl).toBe('redis://usersys:usersys-dev-redis-pw@127.0.0.1:6379');
    expect(() => loadInfraConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });

  it('reads REDIS_CLUSTER_NODES as host:port seeds (none by default)', () => {
    expect(loadInfraConfig({}).redisClusterNodes).toEqual([]);
    expect(loadInfraConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001' }).redisClusterNodes).toEqual(['10.0.0.1:7000', 'redis-2:7001']);
    expect(() => loadInfraConfig({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(/^config: REDIS_CLUSTER_NODES: "10.0.0.1" is not host:port/);
  });

  it('reads REDIS_KEY_PREFIX (none by default) and refuses one that would be a hash tag', () => {
    expect(loadInfraConfig({}).redisKeyPrefix).toBe('');
    expect(loadInfraConfig({ REDIS_KEY_PREFIX: 'e2e-1:' }).redisKeyPrefix).toBe('e2e-1:');
    expect(() => loadInfraConfig({ REDIS_KEY_PREFIX: '{e2e}:' })).toThrow(/^config: REDIS_KEY_PREFIX: must not contain braces/);
  });
});

describe('envUrlList', () => {
  it('reads a list of URLs as origins (spellings of one URL agree), null when unset, refusing bad or repeated entries', () => {
    expect(envUrlList({}, 'URLS', ['http:'])).toBeNull();
    expect(envUrlList({ URLS: ' http://127.0.0.1:8081/ , HTTP://LOCALHOST:8082' }, 'URLS', ['http:'])).toEqual(['http://127.0.0.1:8081', 'http://localhost:8082']);
    expect(() => envUrlList({ URLS: 'http://a:1,nope' }, 'URLS', ['http:'])).toThrow(/URLS.*"nope" is not a valid URL/);
    expect(() => envUrlList({ URLS: 'https://a:1' }, 'URLS', ['http:'])).toThrow(/URLS.*http:\/\//);
    expect(() => envUrlList({ URLS: 'http://a:1,http://a:1/' }, 'URLS', ['http:'])).toThrow(/twice/);
    expect(() => envUrlList({ URLS: ' , ' }, 'URLS', ['http:'])).toThrow(/at least one/);
  });
});
