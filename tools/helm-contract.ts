// Writes the parts of the Helm chart that come from the code, since Helm cannot import TypeScript:
// infra/helm/usersys/files/contract.json (topic names from libs/event-schema) and the generated
// blocks of its values.yaml (Kafka brokers' port, partitions, retention, topic replication and image; Redis and
// PostgreSQL ports and users) from tools/infra/defaults.ts and libs/event-schema.
//
//   node --import tsx tools/helm-contract.ts     (tools/helm-contract.spec.ts fails while it is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TOPICS, TOPIC_SPECS } from '@usersys/event-schema';
import { CONTAINER_IMAGES, CREDENTIALS, DEFAULT_PORTS, KAFKA_MODES } from '@usersys/infra';
import { exitOnHelp } from './cli';
import { type GeneratedBlock, replaceBlocks } from './generated-block';

export const HELM_CONTRACT_FILE = path.resolve(__dirname, '../infra/helm/usersys/files/contract.json');
export const HELM_VALUES_FILE = path.resolve(__dirname, '../infra/helm/usersys/values.yaml');
const SOURCE = 'node --import tsx tools/helm-contract.ts; from tools/infra/defaults.ts and libs/event-schema';

/** The file's exact text: topic names by role (the chart's kafka.partitions are keyed by the same roles). */
export function helmContractText(): string {
  const contract = {
    generatedBy: 'node --import tsx tools/helm-contract.ts (do not edit)',
    topics: { ...TOPICS },
  };
  return `${JSON.stringify(contract, null, 2)}\n`;
}

/** The generated blocks of values.yaml. */
export function valuesBlocks(): GeneratedBlock[] {
  const block = (id: string, lines: string[]): GeneratedBlock => ({ id, source: SOURCE, indent: '  ', lines: lines.map((l) => `  ${l}`) });
  return [
    block('kafka', [
      `brokers: kafka:${DEFAULT_PORTS.kafka}       # KAFKA_BROKERS, comma-separated`,
      '# Topic names come from libs/event-schema (files/contract.json); partitions bound the consumers:',
      `# user-consumer replicas beyond ${TOPICS.events}'s partitions would idle (the chart refuses that).`,
      'partitions:',
      ...Object.entries(TOPIC_SPECS).map(([role, spec]) => `  ${role}: ${spec.partitions}`),
      '# retention.ms of each topic, set when the Job creates it.',
      'retentionMs:',
      ...Object.entries(TOPIC_SPECS).map(([role, spec]) => `  ${role}: ${spec.retentionMs}`),
      '# A pre-install/pre-upgrade Job creating the topics (--if-not-exists) with this replication.',
      'createTopics:',
      '  enabled: true',
      `  image: ${CONTAINER_IMAGES.kafka}`,
      `  replicationFactor: ${KAFKA_MODES.cluster.replication}`,
      `  minInsyncReplicas: ${KAFKA_MODES.cluster.minIsr}`,
    ]),
    block('redis', [`port: ${DEFAULT_PORTS.redis}`, `username: ${CREDENTIALS.redisUser}         # the ACL user; its password is REDIS_PASSWORD in the Secret`]),
    block('postgres', [
      `port: ${DEFAULT_PORTS.postgres}`,
      `database: ${CREDENTIALS.pgDatabases[0]}`,
      `username: ${CREDENTIALS.pgUser}         # its password is POSTGRES_PASSWORD in the Secret`,
    ]),
  ];
}

/** values.yaml with its generated blocks rewritten. */
export function valuesWithParts(values: string): string {
  return replaceBlocks(values, valuesBlocks());
}

if (require.main === module) {
  exitOnHelp('usage: node --import tsx tools/helm-contract.ts\nRewrites infra/helm/usersys/files/contract.json and the generated blocks of its values.yaml from tools/infra/defaults.ts and libs/event-schema (no options).');
  writeFileSync(HELM_CONTRACT_FILE, helmContractText());
  writeFileSync(HELM_VALUES_FILE, valuesWithParts(readFileSync(HELM_VALUES_FILE, 'utf8')));
  console.log(`wrote ${path.relative(process.cwd(), HELM_CONTRACT_FILE)} and the generated blocks of ${path.relative(process.cwd(), HELM_VALUES_FILE)}`);
}
