import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PORTS } from './defaults';
import { haproxyConfig } from './haproxy';
import { InfraError } from './proc';
import { readSettings, REPO } from './settings';

describe('infrastructure settings', () => {
  it('defaults to the shared ports, <repo>/.data and the five single-node services', () => {
    const s = readSettings({});
    expect(s.dataDir).toBe(path.join(REPO, '.data'));
    expect(s.cacheDir).toBe(path.join(os.homedir(), '.cache/usersys'));
    expect(s.services).toEqual(['redis', 'postgres', 'kafka', 'jaeger', 'prometheus']);
    expect(s.servicesGiven).toBe(false);
    expect([s.redis.port, s.postgres.port, s.kafka.port, s.kafka.controllerPort, s.jaeger.uiPort]).toEqual([6379, 5432, 9092, 9093, 16686]);
    expect(s.haproxy.port).toBe(DEFAULT_PORTS.haproxy);
    expect(s.prometheus).toEqual({ port: 9090, retention: '7d' });
  });

  it('honours the same environment overrides tools/infra.sh always did', () => {
    const s = readSettings({ INFRA_DATA_DIR: '/tmp/x', INFRA_SERVICES: 'redis kafka', REDIS_PORT: '16379', KAFKA_PORT: '19092', KAFKA_HEAP: '-Xmx256m', USERSYS_CACHE: '/c', KAFKA_VERSION: '3.9.1' });
    expect(s).toMatchObject({ dataDir: '/tmp/x', logsDir: '/tmp/x/logs', runDir: '/tmp/x/run', cacheDir: '/c', services: ['redis', 'kafka'], servicesGiven: true });
    expect(s.redis.port).toBe(16379);
    expect(s.kafka).toMatchObject({ port: 19092, controllerPort: 19093, heap: ['-Xmx256m'], versions: ['3.9.1'] });
  });

  it('refuses an unknown service or a bad port with the one-line error', () => {
    expect(() => readSettings({ INFRA_SERVICES: 'redis mongo' })).toThrow(new InfraError('INFRA_SERVICES', 'failed', "unknown service 'mongo' (known: redis postgres kafka jaeger prometheus redis-cluster haproxy)"));
    expect(() => readSettings({ PG_PORT: '70000' })).toThrow(/^infra: PG_PORT failed: '70000' is not a port number$/);
  });
});

describe('haproxy.cfg', () => {
  const cfg = haproxyConfig(18080, ['127.0.0.1:1001', '127.0.0.1:1002']);

  it('forwards the client address and health-checks every gateway on /readyz', () => {
    expect(cfg).toContain('option forwardfor');
    expect(cfg).toContain('option httpchk GET /readyz');
    expect(cfg).toContain('bind 127.0.0.1:18080');
    expect(cfg.match(/^ {2}server gateway-\d+ 127\.0\.0\.1:100[12] check$/gm)).toHaveLength(2);
  });
});
