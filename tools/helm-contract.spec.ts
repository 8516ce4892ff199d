import { readFileSync } from 'node:fs';
import { TOPICS, TOPIC_PARTITIONS } from '@usersys/event-schema';
import { CONTAINER_IMAGES, DEFAULT_PORTS, KAFKA_MODES } from '@usersys/infra';
import { HELM_CONTRACT_FILE, HELM_VALUES_FILE, helmContractText, valuesWithParts } from './helm-contract';

const STALE = 'stale: run `node --import tsx tools/helm-contract.ts`';

describe('Helm chart parts generated from tools/infra/defaults.ts and libs/event-schema', () => {
  const values = readFileSync(HELM_VALUES_FILE, 'utf8');

  it(`files/contract.json matches libs/event-schema (${STALE})`, () => {
    expect(readFileSync(HELM_CONTRACT_FILE, 'utf8')).toBe(helmContractText());
  });

  it(`values.yaml's generated blocks are current (${STALE})`, () => {
    expect(valuesWithParts(values)).toBe(values);
  });

  it('the generated blocks carry the sources: partitions per topic role, replication, image, ports', () => {
    for (const [role, topic] of Object.entries(TOPICS)) expect(values).toContain(`\n    ${role}: ${TOPIC_PARTITIONS[topic]}\n`);
    expect(values).toContain(`replicationFactor: ${KAFKA_MODES.cluster.replication}\n`);
    expect(values).toContain(`minInsyncReplicas: ${KAFKA_MODES.cluster.minIsr}\n`);
    expect(values).toContain(`image: ${CONTAINER_IMAGES.kafka}\n`);
    expect(values).toContain(`brokers: kafka:${DEFAULT_PORTS.kafka} `);
    expect(values).toContain(`\n  port: ${DEFAULT_PORTS.redis}\n`);
    expect(values).toContain(`\n  port: ${DEFAULT_PORTS.postgres}\n`);
  });
});
