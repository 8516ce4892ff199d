import { z } from 'zod';
import { decodeEvent, InvalidEventError, type EventEnvelope } from './envelope';
import { loginAuditRecord, type LoginAuditRecord } from './login-audit';

/**
 * What one WAL record holds. The first byte of the payload is its kind, so wal-relay routes a
 * record without guessing:
 *
 * | first byte | kind | rest of the payload | topic |
 * | --- | --- | --- | --- |
 * | `{` (0x7b) | user event | (the whole payload) the JSON event envelope, as user-command has always written it | `user.events.v1` |
 * | 0x01 | login audit | JSON `{"record": <loginAuditRecord>, "trace": {"traceparent"?, "tracestate"?}}` | `user.login-audit.v1` |
 *
 * A user event needs no prefix: its envelope is a JSON object, so it starts with `{`, and every
 * record written before kinds existed is one. Any other first byte is an unknown kind.
 */
export const WAL_KIND_BYTES = { userEvent: 0x7b, loginAudit: 0x01 } as const;

export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

export type WalEntry = { kind: 'user-event'; event: EventEnvelope } | { kind: 'login-audit'; record: LoginAuditRecord; trace: TraceCarrier };

const loginAuditBody = z
  .object({
    record: loginAuditRecord,
    trace: z.object({ traceparent: z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/).optional(), tracestate: z.string().optional() }).strict().default({}),
  })
  .strict();

/** The WAL payload of a login-audit record, with the login request's trace context (kept for the relay's span). */
export function encodeLoginAuditWalRecord(record: LoginAuditRecord, trace: TraceCarrier = {}): Buffer {
  const body = JSON.stringify({ record, trace: trace.traceparent ? trace : {} });
  const payload = Buffer.allocUnsafe(1 + Buffer.byteLength(body));
  payload[0] = WAL_KIND_BYTES.loginAudit;
  payload.write(body, 1);
  return payload;
}

/** Reads any WAL record; throws InvalidEventError (with the reason) for an unknown kind or an off-schema body. */
export function decodeWalRecord(payload: Buffer): WalEntry {
  switch (payload[0]) {
    case WAL_KIND_BYTES.userEvent:
      return { kind: 'user-event', event: decodeEvent(payload) };
    case WAL_KIND_BYTES.loginAudit: {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload.subarray(1).toString());
      } catch {
        throw new InvalidEventError('login-audit record: not JSON');
      }
      const result = loginAuditBody.safeParse(parsed);
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new InvalidEventError(`login-audit record: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
      return { kind: 'login-audit', record: result.data.record, trace: result.data.trace };
    }
    default:
      throw new InvalidEventError(payload.length === 0 ? 'empty WAL record' : `unknown WAL record kind 0x${payload[0].toString(16).padStart(2, '0')}`);
  }
}
