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
 * - refused: a 4xx, or a 503 (every 503 promises nothing was written: the gateway answers 503
 *   120001 only when user-command refused the connection, so the request never arrived);
 * - ambiguous: 504 (the gateway sent the request and got no answer: 120002), any other 5xx, or no
 *   answer at all: it may have been written or not, but must end in one readable state.
 */
export type AnswerClass = 'accepted' | 'refused' | 'ambiguous';

/** The gateway's code for "user-command did not answer after the request was sent": nobody knows whether it was written. */
export const UPSTREAM_UNKNOWN_CODE = 120002;

export function classify(r: Pick<SentRequest, 'status' | 'code'>): AnswerClass {
  if (r.status === 202) return 'accepted';
  if (r.status >= 400 && r.status < 500) return 'refused';
  if (r.status === 503 && r.code !== undefined) return 'refused';
  return 'ambiguous';
}
