// Dev helper: keeps a private Kafka up until SIGTERM (used while tuning the relay benchmark).
import { startPrivateKafka } from '@usersys/test-infra';

void (async () => {
  const kafka = await startPrivateKafka();
  console.log(kafka.url);
  process.once('SIGTERM', () => void kafka.destroy().then(() => process.exit(0)));
  setInterval(() => undefined, 1 << 30);
})();
