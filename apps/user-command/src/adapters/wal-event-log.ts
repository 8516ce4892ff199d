import { encodeEvent, type EventEnvelope } from '@usersys/event-schema';
import { WalOutcomeUnknownError, type WalWriter } from '@usersys/wal';
import { AppendOutcomeUnknownError, type EventLog } from '../domain/ports';

export class WalEventLog implements EventLog {
  constructor(private readonly writer: WalWriter) {}

  async append(event: EventEnvelope): Promise<void> {
    try {
      await this.writer.append(encodeEvent(event));
    } catch (err) {
      throw err instanceof WalOutcomeUnknownError ? new AppendOutcomeUnknownError(err) : err;
    }
  }
}
