export interface OutgoingMessage {
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * The Kafka side of the relay, as a port. `send` resolves once every message is acknowledged by
 * all in-sync replicas. Sends on one lane are issued one after another (that is what keeps per-key
 * order); different lanes may be in flight together.
 */
export interface MessageSink {
  send(messages: OutgoingMessage[], lane: number): Promise<void>;
}

/** Kafka refused the batch for a reason retrying cannot fix (too large, invalid record, …). */
export class RejectedRecordsError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Kafka rejected the records permanently: ${reason}`, options);
    this.name = 'RejectedRecordsError';
  }
}
