// tools/infra/defaults.ts is the one source of the infrastructure's ports, versions and development
// credentials. docker-compose.yml and the Helm chart cannot import it, so this fails when they
// drift from it. Their parts that come from it are generated (tools/compose-parts.ts,
// tools/helm-contract.ts) and checked for staleness by those generators' specs; this reads the files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CREDENTIALS, DEFAULT_PORTS, KAFKA_MODES, VERSIONS } from './defaults';
import { REPO } from './settings';

const compose = readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8');
const helmValues = readFileSync(path.join(REPO, 'infra/helm/usersys/values.yaml'), 'utf8');

/** The value of `key:` inside the top-level `section:` block of a YAML file. */
function yamlValue(text: string, section: string, key: string): string | undefined {
  const block = new RegExp(`^${section}:\\n((?:[ #].*\\n|\\n)*)`, 'm').exec(text)?.[1] ?? '';
  return new RegExp(`^ +${key}: *([^\\s#]+)`, 'm').exec(block)?.[1];
}

describe('one source of ports and versions (tools/infra/defaults.ts)', () => {
  it("docker-compose.yml publishes the infrastructure on the program's default ports", () => {
    for (const port of [DEFAULT_PORTS.redis, DEFAULT_PORTS.postgres, DEFAULT_PORTS.jaegerUi, DEFAULT_PORTS.jaegerOtlpGrpc, DEFAULT_PORTS.jaegerOtlpHttp, DEFAULT_PORTS.jaegerThriftHttp]) {
      expect(compose).toMatch(new RegExp(`"127\\.0\\.0\\.1:${port}:${port}"`));
    }
    expect(compose).toMatch(new RegExp(`"127\\.0\\.0\\.1:${DEFAULT_PORTS.kafka}:\\d+"`));
  });

  it('docker-compose.yml and the Helm chart use a Kafka and a Jaeger version the program runs', () => {
    const kafkaVersions: readonly string[] = VERSIONS.kafka;
    expect(kafkaVersions).toContain(/apache\/kafka:(\S+)/.exec(compose)?.[1]);
    expect(kafkaVersions).toContain(/apache\/kafka:(\S+)/.exec(helmValues)?.[1]);
    expect(VERSIONS.jaeger.map((v) => v.label)).toContain(`v${/jaegertracing\/jaeger:(\S+)/.exec(compose)?.[1]}`);
  });

  it("the Helm chart's defaults match the program's ports, users and cluster replication", () => {
    expect(yamlValue(helmValues, 'redis', 'port')).toBe(String(DEFAULT_PORTS.redis));
    expect(yamlValue(helmValues, 'redis', 'username')).toBe(CREDENTIALS.redisUser);
    expect(yamlValue(helmValues, 'postgres', 'port')).toBe(String(DEFAULT_PORTS.postgres));
    expect(yamlValue(helmValues, 'postgres', 'username')).toBe(CREDENTIALS.pgUser);
    expect(yamlValue(helmValues, 'kafka', 'brokers')).toBe(`kafka:${DEFAULT_PORTS.kafka}`);
    expect(yamlValue(helmValues, 'kafka', 'replicationFactor')).toBe(String(KAFKA_MODES.cluster.replication));
    expect(yamlValue(helmValues, 'kafka', 'minInsyncReplicas')).toBe(String(KAFKA_MODES.cluster.minIsr));
  });
});
