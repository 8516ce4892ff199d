/** What one client sent and what it was told. */
export type Operation = 'create' | 'update' | 'delete';

export interface SentRequest {
  seq: number;
  op: Operation;
  username: string;
  /** create: the client's email (lower-case, as stored); update: undefined. */
  email?: string;
  /** update: the nickname it sets (unique per request, so a row shows which update it holds). */
  nickname?: string;
  /** The phase (fault) running when it was sent, and whether it was sent inside the fault window. */
  phase: string;
  inWindow: boolean;
  sentAt: number;
  /** HTTP status, or 0 when no answer came (connection error or client timeout). */
  status: number;
  /** The error catalog code of a non-2xx answer, when the body had one. */
  code?: number;
  requestId?: string;
  /** The Location header of a 202 (the contract: /v1/requests/<requestId>). */
  location?: string;
}

/**
 * How the suite reads an answer:
 * - accepted: 202, the request will end applied, rejected or dead-lettered;
 * - refused: a 4xx, or a 503 that promises nothing was written (every 503 but the gateway's
 *   "could not get an answer from user-command", 120001);
 * - ambiguous: 504 (the gateway gave up waiting for user-command), 120001, any other 5xx, or no
 *   answer at all: it may have been written or not, but must end in one readable state.
 */
export type AnswerClass = 'accepted' | 'refused' | 'ambiguous';

/** The gateway's code for "user-command unavailable or timed out": it cannot know whether anything was written. */
export const UPSTREAM_UNKNOWN_CODE = 120001;

export function classify(r: Pick<SentRequest, 'status' | 'code'>): AnswerClass {
  if (r.status === 202) return 'accepted';
  if (r.status >= 400 && r.status < 500) return 'refused';
  if (r.status === 503 && r.code !== undefined && r.code !== UPSTREAM_UNKNOWN_CODE) return 'refused';
  return 'ambiguous';
}
