import { TOPIC_PARTITIONS, TOPIC_SPECS, TOPICS, topicSpecs } from './index';

describe('topic specs', () => {
  it('every topic has one spec under its role, with partitions and a retention', () => {
    expect(Object.keys(TOPIC_SPECS)).toEqual(Object.keys(TOPICS));
    for (const [role, spec] of Object.entries(TOPIC_SPECS)) {
      expect(spec.topic).toBe(TOPICS[role as keyof typeof TOPICS]);
      expect(spec.partitions).toBeGreaterThan(0);
      expect(spec.retentionMs).toBeGreaterThan(0);
    }
    expect(topicSpecs().map((s) => s.topic)).toEqual(Object.values(TOPICS));
    expect(TOPIC_PARTITIONS).toEqual({ 'user.events.v1': 6, 'user.retry.v1': 6, 'user.dlq.v1': 3, 'user.login-audit.v1': 3 });
  });
});
