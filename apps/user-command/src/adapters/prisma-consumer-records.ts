import type { PrismaClient } from '@usersys/db';
import type { ConsumerRecord, ConsumerRecords } from '../domain/ports';

interface Row {
  kind: ConsumerRecord['kind'];
  username: string;
  event_type: string | null;
  status: string | null;
  reason: string | null;
  payload: string | null;
}

// One round trip over the consumer's three tables, most final first (processed, parked head,
// parked behind a head). Parked payloads are read as text so this works whether the column is
// jsonb (JSON text) or bytea (`\x` + hex of the raw message value); only the event's type is used.
// `reason` is raw SQL on purpose: the columns come with the consumer's request-outcomes migration.
const FIND_SQL = `
SELECT 1 AS rank, 'processed' AS kind, username, event_type, outcome AS status, reason, NULL::text AS payload
  FROM processed_events WHERE event_id = $1::uuid
UNION ALL
SELECT 2, 'parked_head', username, NULL, status, reason, head_event::text
  FROM consumer_parked_users WHERE head_event_id = $1::uuid
UNION ALL
SELECT 3, 'parked_behind', e.username, NULL, u.status, NULL, e.event::text
  FROM consumer_parked_events e LEFT JOIN consumer_parked_users u ON u.username = e.username
 WHERE e.event_id = $1::uuid
ORDER BY rank
LIMIT 1`;

/** What the consumer recorded about an event, read from PostgreSQL only. */
export class PrismaConsumerRecords implements ConsumerRecords {
  constructor(private readonly prisma: PrismaClient) {}

  async find(eventId: string): Promise<ConsumerRecord | null> {
    const [row] = await this.prisma.$queryRawUnsafe<Row[]>(FIND_SQL, eventId);
    if (!row) return null;
    const eventType = row.event_type ?? eventTypeIn(row.payload);
    switch (row.kind) {
      case 'processed':
        return { kind: 'processed', username: row.username, eventType, outcome: row.status, reason: row.reason };
      case 'parked_head':
        return { kind: 'parked_head', username: row.username, eventType, status: row.status ?? 'retrying', reason: row.reason };
      case 'parked_behind':
        return { kind: 'parked_behind', username: row.username, eventType, headStatus: row.status };
    }
  }
}

/** The `type` of a stored event envelope, or null when the payload is not one. */
function eventTypeIn(payload: string | null): string | null {
  if (payload === null) return null;
  const json = payload.startsWith('\\x') ? Buffer.from(payload.slice(2), 'hex').toString('utf8') : payload;
  try {
    const type = (JSON.parse(json) as { type?: unknown }).type;
    return typeof type === 'string' ? type : null;
  } catch {
    return null;
  }
}
