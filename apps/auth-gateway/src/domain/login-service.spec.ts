import { createLoginAuditRecord, type LoginAuditRecord } from '@usersys/event-schema';
import { AppError } from '@usersys/service-kit';
import { BruteForceGuard } from './brute-force-guard';
import { InFlightGate } from './in-flight-gate';
import { LoginService, type LoginRequest } from './login-service';
import { MemoryLockoutStore } from './memory-lockout-store';
import type { AuditAttempt, LoginUser } from './ports';

// The edge of login: what is refused before any store is asked, and what reaches the audit trail.
const POLICY = { threshold: 10, globalThreshold: 100, windowMs: 900_000, baseLockMs: 60_000, maxLockMs: 900_000 };

describe('LoginService body validation', () => {
  const calls: string[] = [];
  const audited: LoginAuditRecord[] = [];
  const service = new LoginService({
    gate: new InFlightGate(10),
    limiter: {
      consume: async () => {
        calls.push('limiter');
        return { allowed: true, retryAfterMs: 0, degraded: false };
      },
    },
    users: {
      find: async (username): Promise<LoginUser | null> => {
        calls.push(`find:${username}`);
        return null;
      },
    },
    cache: {} as never,
    verifier: { compare: async () => (calls.push('compare'), false) },
    dummyHash: '$2b$04$' + 'a'.repeat(53),
    tokens: {} as never,
    lastLogin: {} as never,
    // The same record the real audit trail builds: it refuses unsafe text, so this fails if any reaches it.
    audit: { record: ({ traceparent: _t, ...attempt }: AuditAttempt) => void audited.push(createLoginAuditRecord(attempt)) },
    lockout: new BruteForceGuard(new MemoryLockoutStore(POLICY), POLICY),
    fastFailMessage: 'busy',
  });
  const attempt = (body: unknown, userAgent: string | null = 'jest'): LoginRequest => ({ body, clientIp: '10.0.0.1', userAgent, traceId: null });
  const refusal = async (req: LoginRequest) => {
    try {
      await service.login(req);
    } catch (err) {
      return err as AppError;
    }
    throw new Error('login was not refused');
  };
  beforeEach(() => {
    calls.length = 0;
    audited.length = 0;
  });

  it.each([
    ['username', 'NUL', { username: 'ali\u0000ce', password: 'secret-password' }],
    ['username', 'tab', { username: 'ali\tce', password: 'secret-password' }],
    ['username', 'DEL', { username: 'alice\u007f', password: 'secret-password' }],
    ['username', 'C1', { username: '\u0085alice', password: 'secret-password' }],
    ['username', 'lone surrogate', { username: 'alice\ud800', password: 'secret-password' }],
    ['password', 'NUL', { username: 'alice', password: 'secret\u0000password' }],
    ['password', 'newline', { username: 'alice', password: 'secret\npassword' }],
    ['password', 'lone low surrogate', { username: 'alice', password: '\udc00secret' }],
  ])('refuses a %s holding %s with 400 naming it, before the limiter or any lookup', async (field, _kind, body) => {
    const err = await refusal(attempt(body));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 400, code: 100003, message: expect.stringMatching(new RegExp(`^${field}: must not contain control characters`)) });
    expect(err.details).toEqual({ problems: [{ field, reason: expect.any(String) }] });
    expect(calls).toEqual([]);
    expect(audited).toEqual([expect.objectContaining({ result: 'failure', reason: 'invalid_request' })]);
  });

  it('audits the claimed username of a refused body with U+FFFD in place of what the record cannot hold', async () => {
    await refusal(attempt({ username: 'a\u0000b\ud800', password: 'x' }));
    expect(audited[0].username).toBe('a\ufffdb\ufffd');
  });

  it('keeps the missing-field and length checks: 400 naming the field', async () => {
    expect(await refusal(attempt({ username: 'alice' }))).toMatchObject({ status: 400, message: expect.stringMatching(/^password: /) });
    expect(await refusal(attempt({ username: 'alice', password: 'p'.repeat(73) }))).toMatchObject({ status: 400, message: 'password: must be at most 72 bytes' });
    expect(await refusal(attempt({ username: 'u'.repeat(65), password: 'secret' }))).toMatchObject({ status: 400, message: expect.stringMatching(/^username: /) });
    expect(await refusal(attempt(undefined))).toMatchObject({ status: 400, message: expect.stringMatching(/^\(body\): /) });
    expect(calls).toEqual([]);
  });

  it('a valid body with an odd User-Agent (tab, C1 from obs-text, a pair cut at 512) still gets its 401 and a valid audit record', async () => {
    const userAgent = `agent\t\u0085 ${'x'.repeat(503)}😀`;
    const err = await refusal(attempt({ username: 'nobody_here', password: 'secret-password' }, userAgent));
    expect(err).toMatchObject({ status: 401, code: 120101 });
    expect(calls).toEqual(['limiter', 'find:nobody_here', 'compare']);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ username: 'nobody_here', reason: 'unknown_user' });
    expect(audited[0].userAgent).toBe(`agent\ufffd\ufffd ${'x'.repeat(503)}\ufffd`);
  });
});
