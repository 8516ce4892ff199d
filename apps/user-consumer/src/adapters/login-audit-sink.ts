import type { PrismaClient } from '@usersys/db';
import { decodeLoginAuditRecord, TOPICS, type LoginAuditRecord } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { doublingDelayMs, type KafkaClients, type ReconnectingConsumer } from '@usersys/service-kit';
import type { Counter } from 'prom-client';
import { ZodError } from 'zod';
import { decideFailure, type FailureKind } from '../domain/failure-policy';
import { errorText, type InboundMessage } from '../domain/messages';
import type { Republisher } from '../domain/ports';
import { classifyDatabaseError } from './database-errors';
import { inbound } from './kafka-runner';

export interface AuditStore {
  /** Stores records once each (idempotent by auditId); returns how many were new. */
  insert(records: LoginAuditRecord[]): Promise<number>;
  ping(): Promise<void>;
  /** data: the database refuses this record's values (retrying cannot change it). */
  classify(error: unknown): FailureKind;
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

  classify(error: unknown): FailureKind {
    return classifyDatabaseError(error);
  }
}

interface AuditItem {
  record: LoginAuditRecord;
  msg: InboundMessage;
}

/**
 * Stores a batch of audit records under the failure policy (step audit): when the database refuses
 * the batch by its data, the records are stored one by one and each refused one is handed to
 * `refused` (the dead-letter topic); any other failure is thrown (the caller waits for the database
 * and repeats: inserts are idempotent).
 */
export async function storeAuditRecords(store: AuditStore, items: AuditItem[], refused: (item: AuditItem, err: unknown) => Promise<void>): Promise<{ stored: number; refused: number }> {
  const deadLetters = (err: unknown) => decideFailure({ step: 'audit', kind: store.classify(err), databaseAnswers: true, attempt: 0, maxAttempts: 0 }).action === 'dead_letter';
  try {
    return { stored: await store.insert(items.map((i) => i.record)), refused: 0 };
  } catch (err) {
    if (!deadLetters(err)) throw err;
  }
  let stored = 0;
  let refusedCount = 0;
  for (const item of items) {
    try {
      stored += await store.insert([item.record]);
    } catch (err) {
      if (!deadLetters(err)) throw err;
      await refused(item, err);
      refusedCount++;
    }
  }
  return { stored, refused: refusedCount };
}

/**
 * The login-audit sink: `<groupId>-login-audit` reads user.login-audit.v1 and stores each fetched
 * batch with one INSERT; off-schema records, and records the database refuses by their data (a NUL
 * in a username: SQLSTATE 22021), go to user.dlq.v1 with the reason and the rest is stored. Audits
 * have no per-user order to keep, so any other failed insert waits for the database and repeats
 * (offsets are resolved only after the insert).
 */
export class LoginAuditSink {
  private readonly consumer: ReconnectingConsumer;

  constructor(
    clients: KafkaClients,
    groupId: string,
    timing: { sessionTimeoutMs: number; fetchMaxWaitMs: number },
    private readonly deps: { store: AuditStore; republisher: Republisher; log: Logger; counter: Counter<'outcome'> },
  ) {
    this.consumer = clients.consumer('login-audit', { groupId, sessionTimeout: timing.sessionTimeoutMs, heartbeatInterval: 3000, allowAutoTopicCreation: false, maxWaitTimeInMs: timing.fetchMaxWaitMs });
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
        const items: AuditItem[] = [];
        for (const m of batch.messages) {
          const msg = inbound(batch.topic, batch.partition, m);
          try {
            items.push({ record: decodeLoginAuditRecord(m.value ?? ''), msg });
          } catch (err) {
            const reason = err instanceof ZodError ? `invalid login-audit record: ${err.issues[0]?.path.join('.')}: ${err.issues[0]?.message}` : `invalid login-audit record: ${errorText(err)}`;
            await this.deadLetter(msg, 'poison', reason);
          }
        }
        let waits = 0;
        const refused = new Set<AuditItem>(); // dead-lettered already: not again when the insert is repeated
        for (;;) {
          try {
            const { stored } = await storeAuditRecords(this.deps.store, items.filter((i) => !refused.has(i)), async (item, err) => {
              await this.deadLetter(item.msg, 'poison', 'invalid data', errorText(err)); // not replayable: the same values are refused again
              refused.add(item);
            });
            const kept = items.length - refused.size;
            this.deps.counter.inc({ outcome: 'stored' }, stored);
            if (kept > stored) this.deps.counter.inc({ outcome: 'duplicate' }, kept - stored);
            break;
          } catch (err) {
            this.deps.log.error({ err: errorText(err), step: 'loginAudit', status: 'waiting' }, 'login-audit insert failed: waiting for the database');
            if (!isRunning() || isStale()) return; // not resolved: refetched later
            await heartbeat();
            await new Promise((r) => setTimeout(r, doublingDelayMs(++waits, { baseMs: 250, maxMs: 5000 })));
          }
        }
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await heartbeat();
      },
    });
  }

  private async deadLetter(msg: InboundMessage, stage: 'poison', reason: string, error?: string): Promise<void> {
    const source = `${msg.topic}/${msg.partition}/${msg.offset}`;
    await this.deps.republisher.deadLetter({ key: msg.key, value: msg.value, headers: msg.headers }, { stage, reason, ...(error ? { error } : {}), attempts: 0, source });
    this.deps.counter.inc({ outcome: 'dead_letter' });
    this.deps.log.error({ topic: msg.topic, partition: msg.partition, offset: msg.offset, reason, ...(error ? { err: error } : {}), status: 'dead_letter' }, 'login-audit record sent to the dead-letter topic');
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
