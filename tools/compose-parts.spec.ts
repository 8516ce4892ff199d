import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TOPICS, TOPIC_PARTITIONS } from '@usersys/event-schema';
import { CONTAINER_IMAGES, DEFAULT_PORTS, VERSIONS } from '@usersys/infra';
import { COMPOSE_FILE, COMPOSE_HAPROXY_FILE, composeHaproxyConfig, composeWithParts, topicsBlock } from './compose-parts';
import { renderBlock, replaceBlock } from './generated-block';

const STALE = 'stale: run `node --import tsx tools/compose-parts.ts`';

// tools/infra/defaults.ts and libs/event-schema are the one source of ports, versions and topics;
// the compose file's parts that come from them are generated, and these fail while they are stale.
describe('docker-compose.yml parts generated from tools/infra/defaults.ts and libs/event-schema', () => {
  const compose = readFileSync(COMPOSE_FILE, 'utf8');

  it('gives every topic a partition count', () => {
    expect(Object.keys(TOPIC_PARTITIONS).sort()).toEqual(Object.values(TOPICS).sort());
  });

  it(`docker-compose.yml's generated parts are current (${STALE})`, () => {
    expect(composeWithParts(compose)).toBe(compose);
  });

  it(`infra/docker/haproxy.cfg is current (${STALE})`, () => {
    expect(readFileSync(COMPOSE_HAPROXY_FILE, 'utf8')).toBe(composeHaproxyConfig());
  });

  it('the generated parts carry the sources: topics, images and published ports', () => {
    for (const [topic, partitions] of Object.entries(TOPIC_PARTITIONS)) expect(compose).toContain(`--topic ${topic} --partitions ${partitions}\n`);
    for (const image of Object.values(CONTAINER_IMAGES)) expect(compose).toContain(` ${image}\n`);
    for (const port of [DEFAULT_PORTS.redis, DEFAULT_PORTS.postgres, DEFAULT_PORTS.jaegerUi, DEFAULT_PORTS.jaegerOtlpHttp]) expect(compose).toContain(`"127.0.0.1:${port}:${port}"`);
    expect(compose).toContain(`"127.0.0.1:${DEFAULT_PORTS.kafka}:29092"`);
    expect(compose).toContain(`"127.0.0.1:${DEFAULT_PORTS.haproxy}:8080"`);
  });

  it('the infrastructure services take their image and published ports from the generated anchors', () => {
    // a literal image or port list there would be a second source
    const service = (name: string) => new RegExp(`^  ${name}:\\n((?: {4}.*\\n|\\n)*)`, 'm').exec(compose)?.[1] ?? '';
    for (const name of ['redis', 'postgres', 'kafka', 'jaeger', 'haproxy']) {
      expect(service(name)).toContain(`    image: *${name}-image\n`);
      expect(service(name)).toContain(`    ports: *${name}-ports\n`);
    }
    expect(service('kafka-topics')).toContain('    image: *kafka-image\n');
  });

  it('the container images run versions the program runs', () => {
    expect(VERSIONS.kafka as readonly string[]).toContain(CONTAINER_IMAGES.kafka.split(':')[1]);
    expect(VERSIONS.jaeger.map((v) => v.label)).toContain(`v${CONTAINER_IMAGES.jaeger.split(':')[1]}`);
  });

  it('HAProxy balances the gateways found by name, checks /readyz and forwards the client address', () => {
    const cfg = composeHaproxyConfig();
    expect(cfg).toContain(`bind :${DEFAULT_PORTS.haproxy}`);
    expect(cfg).toMatch(/server-template gateway- \d+ auth-gateway:8080 check resolvers docker/);
    expect(cfg).toContain('option httpchk GET /readyz');
    expect(cfg).toContain('option forwardfor');
  });

  // HAProxy's own parser, where it is installed (cluster mode installs it: tools/infra).
  const haproxy = (() => {
    try {
      execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (haproxy ? it : it.skip)('haproxy -c accepts infra/docker/haproxy.cfg', () => {
    expect(execFileSync('haproxy', ['-c', '-f', COMPOSE_HAPROXY_FILE], { encoding: 'utf8' })).toContain('valid');
  });
});

describe('generated blocks', () => {
  const block = { ...topicsBlock(), lines: ['  a: 1'] };

  it('replaces only the part between the markers', () => {
    const text = `services:\n${renderBlock(block)}\n  other: {}\n`;
    const edited = text.replace('  a: 1', '  a: 2\n  b: 3');
    expect(replaceBlock(edited, block)).toBe(text);
  });

  it('refuses a file without the markers', () => {
    expect(() => replaceBlock('services: {}\n', block)).toThrow(/markers missing/);
  });
});
