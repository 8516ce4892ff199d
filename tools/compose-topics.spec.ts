import { readFileSync } from 'node:fs';
import { TOPICS, TOPIC_PARTITIONS } from '@usersys/event-schema';
import { topicSpecs as infraTopicSpecs } from '@usersys/infra';
import { COMPOSE_FILE, topicSpecs, topicsService, withTopicsService } from './compose-topics';

// libs/event-schema is the one source of the topic list; the files that cannot import it are
// generated from it (docker-compose.yml) or must agree with it (tools/infra).
describe('topics from libs/event-schema', () => {
  it('gives every topic a partition count', () => {
    expect(Object.keys(TOPIC_PARTITIONS).sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('docker-compose.yml has the generated topics job (stale: run `node --import tsx tools/compose-topics.ts`)', () => {
    const compose = readFileSync(COMPOSE_FILE, 'utf8');
    expect(withTopicsService(compose)).toBe(compose);
    for (const [topic, partitions] of Object.entries(TOPIC_PARTITIONS)) expect(compose).toContain(`--topic ${topic} --partitions ${partitions}\n`);
  });

  it('replaces only the part between the markers', () => {
    const compose = `services:\n${topicsService()}\n  other: {}\n`;
    expect(withTopicsService(compose.replace('--partitions 6', '--partitions 1'))).toBe(compose);
    expect(() => withTopicsService('services: {}\n')).toThrow(/markers are missing/);
  });

  it('the infrastructure program (tools/infra) creates the same topics', () => {
    expect(infraTopicSpecs().map((t) => `${t.topic}:${t.partitions}`).join(' ')).toBe(topicSpecs());
  });
});
