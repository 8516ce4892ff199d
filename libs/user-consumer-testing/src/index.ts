// Public API of @usersys/user-consumer-testing: event fixtures, a Kafka harness (producer, topic tail,
// group offsets) and the in-process consumer fixture for integration tests and the consumer benchmark.
// Test support (type:test-support): specs, e2e, benchmarks and tools import it, production code never
// does. `@usersys/user-consumer-testing/fixtures` is the lean entry for unit specs: it loads no Kafka
// client and not the consumer.
export { HASH, uniqueName, createdEvent, updatedEvent, deletedEvent, accessEvent } from './fixtures';
export {
  BROKERS,
  SHARED_REDIS,
  testLog,
  testConfig,
  startGroupsAtEnd,
  connectProducer,
  produceEvents,
  tailTopic,
  waitForCommitted,
  waitFor,
  type TopicMessage,
} from './harness';
export { startTestConsumer, type TestConsumer } from './consumer-fixture';
