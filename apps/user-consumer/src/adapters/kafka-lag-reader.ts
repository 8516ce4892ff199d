import { createKafka, readGroupLag } from '@usersys/service-kit';
import type { Admin } from 'kafkajs';
import type { GroupLag } from './metrics';

/**
 * kafkajs' own short retries: needed (the first request after connecting fails with a retriable "No
 * brokers in the broker pool" while the metadata loads) and kept short (the scrape waits at most 3 s).
 */
const LAG_READ_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 500 };

/** A consumer group and the topic it reads. */
export interface GroupTopic {
  groupId: string;
  topic: string;
}

/**
 * Reads the lag of the consumer's groups from Kafka (committed offsets against end offsets) with an
 * admin client of its own. Any failure drops that client and the next read builds a new one: a
 * kafkajs client that connected to a frozen broker never recovers (see service-kit kafka-client.ts).
 */
export class KafkaLagReader {
  private admin: { client: Admin; connected: Promise<void> } | null = null;

  constructor(
    private readonly brokers: string[],
    private readonly groups: GroupTopic[],
    private readonly newAdmin: () => Admin = () => createKafka({ clientId: 'user-consumer-lag', brokers, requestTimeoutMs: 2000, connectionTimeoutMs: 2000, retry: LAG_READ_RETRY }).admin(),
  ) {}

  async read(): Promise<GroupLag[]> {
    const admin = (this.admin ??= this.connect());
    try {
      await admin.connected;
      const perGroup = await Promise.all(this.groups.map(async (g) => (await readGroupLag(admin.client, g.groupId, g.topic)).map((l) => ({ ...l, group: g.groupId }))));
      return perGroup.flat();
    } catch (err) {
      if (this.admin === admin) this.drop();
      throw err;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.client.disconnect().catch(() => {});
  }

  private connect(): { client: Admin; connected: Promise<void> } {
    const client = this.newAdmin();
    return { client, connected: client.connect() };
  }

  private drop(): void {
    const admin = this.admin;
    this.admin = null;
    void admin?.client.disconnect().catch(() => {});
  }
}
