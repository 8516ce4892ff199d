import { Kafka, logLevel } from 'kafkajs';

export interface ReadBack {
  topic: string;
  partition: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `done` says enough arrived
 * (or the timeout passes), returning every message in partition order.
 */
export async function readBack(brokers: string[], topic: string, done: (messages: ReadBack[]) => boolean, timeoutMs = 90_000): Promise<ReadBack[]> {
  const kafka = new Kafka({ clientId: 'relay-int-readback', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `relay-int-${Date.now()}-${Math.random().toString(16).slice(2)}` });
  const messages: ReadBack[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      messages.push({ topic, partition, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers });
      if (done(messages)) finish();
    },
  });
  const timer = setTimeout(finish, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return messages;
}
