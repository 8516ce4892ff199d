import { encodeEvent, type EventEnvelope } from '@usersys/event-schema';
import type { WalWriter } from '@usersys/wal';
import type { EventLog } from '../domain/ports';

export class WalEventLog implements EventLog {
  constructor(private readonly writer: WalWriter) {}

  async append(event: EventEnvelope): Promise<void> {
    await this.writer.append(encodeEvent(event));
  }
}
