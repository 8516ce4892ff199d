// Writes the generated parts of docker-compose.yml and infra/docker/haproxy.cfg from the one source
// of ports, versions and topics: tools/infra/defaults.ts and libs/event-schema (TOPIC_SPECS).
// Compose cannot import TypeScript, so its parts are generated, and tools/compose-parts.spec.ts
// fails while a part is stale.
//
//   node --import tsx tools/compose-parts.ts      rewrite the generated parts
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { topicSpecs } from '@usersys/event-schema';
import { CONTAINER_IMAGES, DEFAULT_PORTS, haproxyConfigText } from '@usersys/infra';
import { exitOnHelp } from './cli';
import { type GeneratedBlock, replaceBlocks } from './generated-block';

export const COMPOSE_FILE = path.resolve(__dirname, '..', 'docker-compose.yml');
export const COMPOSE_HAPROXY_FILE = path.resolve(__dirname, '..', 'infra/docker/haproxy.cfg');
const SOURCE = 'node --import tsx tools/compose-parts.ts; from tools/infra/defaults.ts and libs/event-schema';

/** The gateway's port inside its container (its default, AUTH_GATEWAY_PORT); HAProxy finds the replicas on it. */
export const GATEWAY_CONTAINER_PORT = 8080;
/** Gateway replicas HAProxy can route to (`--scale auth-gateway=N` up to this). */
export const MAX_GATEWAY_REPLICAS = 10;

/** `name:partitions ...`, for the generator's report line. */
function topicList(): string {
  return topicSpecs()
    .map((t) => `${t.topic}:${t.partitions}`)
    .join(' ');
}

const published = (port: number, containerPort = port) => `"127.0.0.1:${port}:${containerPort}"`;

/** Top-level anchors: images and published ports, used by the infrastructure services. */
export function imagesAndPortsBlock(): GeneratedBlock {
  const p = DEFAULT_PORTS;
  return {
    id: 'images and ports',
    source: SOURCE,
    lines: [
      'x-images:',
      ...Object.entries(CONTAINER_IMAGES).map(([name, image]) => `  ${name}: &${name}-image ${image}`),
      'x-published-ports:',
      `  redis: &redis-ports [${published(p.redis)}]`,
      `  postgres: &postgres-ports [${published(p.postgres)}]`,
      // Kafka's HOST listener listens on 29092 in the container and is advertised as the host port.
      `  kafka: &kafka-ports [${published(p.kafka, 29092)}]`,
      `  jaeger: &jaeger-ports [${[p.jaegerUi, p.jaegerOtlpGrpc, p.jaegerOtlpHttp, p.jaegerThriftHttp].map((port) => published(port)).join(', ')}]`,
      `  haproxy: &haproxy-ports [${published(p.haproxy, GATEWAY_CONTAINER_PORT)}]`,
      `x-kafka-advertised-listeners: &kafka-advertised-listeners PLAINTEXT://kafka:9092,HOST://127.0.0.1:${p.kafka}`,
    ],
  };
}

/** The kafka-topics service: creates every topic once Kafka is healthy, then exits 0 (apps wait for that). */
export function topicsBlock(): GeneratedBlock {
  return {
    id: 'kafka-topics',
    source: SOURCE,
    indent: '  ',
    lines: [
      '  kafka-topics:',
      '    image: *kafka-image',
      '    depends_on: { kafka: { condition: service_healthy } }',
      '    restart: "no"',
      '    entrypoint: ["/bin/sh", "-ec"]',
      '    command:',
      '      - |',
      ...topicSpecs().map(
        (t) =>
          `        /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 --create --if-not-exists --replication-factor 1 --config retention.ms=${t.retentionMs} --topic ${t.topic} --partitions ${t.partitions}`,
      ),
    ],
  };
}

/** docker-compose.yml with its generated parts rewritten. */
export function composeWithParts(compose: string): string {
  return replaceBlocks(compose, [imagesAndPortsBlock(), topicsBlock()]);
}

/**
 * HAProxy of the compose file: the program's config (tools/infra/haproxy.ts) with the gateways
 * found through Docker's DNS, so `--scale auth-gateway=N` needs no edit: every replica of the
 * service answers under its name, and a server slot per address is filled (and emptied) as
 * replicas come and go.
 */
export function composeHaproxyConfig(): string {
  return haproxyConfigText({
    header: [`# generated (${SOURCE}); do not edit`, '# HAProxy of docker-compose.yml in front of every auth-gateway replica.'],
    bind: `:${DEFAULT_PORTS.haproxy}`,
    sections: [
      'resolvers docker',
      '  nameserver dns 127.0.0.11:53',
      '  accepted_payload_size 8192',
      '  hold valid 5s',
      '',
    ],
    servers: [
      // init-addr none: start with empty slots while no gateway is up yet
      `server-template gateway- ${MAX_GATEWAY_REPLICAS} auth-gateway:${GATEWAY_CONTAINER_PORT} check resolvers docker init-addr none`,
    ],
  });
}

if (require.main === module) {
  exitOnHelp('usage: node --import tsx tools/compose-parts.ts\nRewrites the generated parts of docker-compose.yml and infra/docker/haproxy.cfg from tools/infra/defaults.ts and libs/event-schema (no options).');
  writeFileSync(COMPOSE_FILE, composeWithParts(readFileSync(COMPOSE_FILE, 'utf8')));
  writeFileSync(COMPOSE_HAPROXY_FILE, composeHaproxyConfig());
  console.log(`compose-parts: wrote the generated parts of docker-compose.yml (topics ${topicList()}) and infra/docker/haproxy.cfg`);
}
