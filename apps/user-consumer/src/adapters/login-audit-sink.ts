import type { PrismaClient } from '@usersys/db';
import { decodeLoginAuditRecord, TOPICS, type LoginAuditRecord } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import type { KafkaClients, ReconnectingConsumer } from '@usersys/service-kit';
import type { Counter } from 'prom-client';
import { ZodError } from 'zod';
import { errorText } from '../domain/messages';
import type { Republisher } from '../domain/ports';
import { inbound } from './kafka-runner';

export interface AuditStore {
  /** Stores records once each (idempotent by auditId); returns how many were new. */
  insert(records: LoginAuditRecord[]): Promise<number>;
  ping(): Promise<void>;
}

export class PrismaAuditStore implements AuditStore {
  constructor(private readonly prisma: PrismaClient) {}

  async insert(records: LoginAuditRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const { count } = await this.prisma.loginAudit.createMany({
      data: records.map((r) => ({
        auditId: r.auditId,
        username: r.username,
        clientIp: r.clientIp,
        userAgent: r.userAgent,
        result: r.result,
        reason: r.reason,
        traceId: r.traceId,
        occurredAt: new Date(r.occurredAt),
      })),
      skipDuplicates: true, // ON CONFLICT DO NOTHING: a redelivered record is stored once (audit_id unique)
    });
    return count;
  }

  async ping(): Promise<void> {
    await this.prisma.$queryRawUnsafe('SELECT 1');
  }
}

/**
 * The login-audit sink: `<groupId>-login-audit` reads user.login-audit.v1 and stores each fetched
 * batch with one INSERT; off-schema records go to user.dlq.v1 with the reason. Audits have no
 * per-user order to keep, so a failed insert simply waits for the database and repeats (offsets are
 * resolved only after the insert).
 */
export class LoginAuditSink {
  private readonly consumer: ReconnectingConsumer;

  constructor(
    clients: KafkaClients,
    groupId: string,
    sessionTimeoutMs: number,
    private readonly deps: { store: AuditStore; republisher: Republisher; log: Logger; counter: Counter<'outcome'> },
  ) {
    this.consumer = clients.consumer('login-audit', { groupId, sessionTimeout: sessionTimeoutMs, heartbeatInterval: 3000, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [TOPICS.loginAudit], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0) return;
        const records: LoginAuditRecord[] = [];
        for (const m of batch.messages) {
          try {
            records.push(decodeLoginAuditRecord(m.value ?? ''));
          } catch (err) {
            const reason = err instanceof ZodError ? `invalid login-audit record: ${err.issues[0]?.path.join('.')}: ${err.issues[0]?.message}` : `invalid login-audit record: ${errorText(err)}`;
            const msg = inbound(batch.topic, batch.partition, m);
            await this.deps.republisher.deadLetter({ key: msg.key, value: msg.value, headers: msg.headers }, { stage: 'poison', reason, attempts: 0, source: `${batch.topic}/${batch.partition}/${m.offset}` });
            this.deps.counter.inc({ outcome: 'dead_letter' });
            this.deps.log.error({ topic: batch.topic, partition: batch.partition, offset: m.offset, reason, status: 'dead_letter' }, 'off-schema login-audit record sent to the dead-letter topic');
          }
        }
        let delay = 250;
        for (;;) {
          try {
            const stored = await this.deps.store.insert(records);
            this.deps.counter.inc({ outcome: 'stored' }, stored);
            if (records.length > stored) this.deps.counter.inc({ outcome: 'duplicate' }, records.length - stored);
            break;
          } catch (err) {
            this.deps.log.error({ err: errorText(err), step: 'loginAudit', status: 'waiting' }, 'login-audit insert failed: waiting for the database');
            if (!isRunning() || isStale()) return; // not resolved: refetched later
            await heartbeat();
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, 5000);
          }
        }
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
