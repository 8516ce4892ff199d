import { AppError } from '@usersys/service-kit';
import { BruteForceGuard } from './brute-force-guard';
import { CurrentPasswordCheck } from './current-password-check';
import { MemoryLockoutStore } from './memory-lockout-store';

const POLICY = { threshold: 2, globalThreshold: 100, windowMs: 900_000, baseLockMs: 60_000, maxLockMs: 900_000 };

describe('CurrentPasswordCheck', () => {
  const compared: string[] = [];
  let guard: BruteForceGuard;
  let check: CurrentPasswordCheck;
  beforeEach(() => {
    compared.length = 0;
    guard = new BruteForceGuard(new MemoryLockoutStore(POLICY), POLICY);
    check = new CurrentPasswordCheck({
      users: { find: async (u) => (u === 'alice' ? { username: 'alice', accountId: '00000000-0000-4000-8000-000000000001', credentialVersion: 0, role: 'user', state: 'active', passwordHash: 'HASH(right)' } : null) },
      verifier: { compare: async (pw, hash) => (compared.push(hash), hash === `HASH(${pw})`) },
      guard,
      dummyHash: 'DUMMY',
    });
  });
  const patch = (body: unknown, admin = false) => check.bodyToForward({ admin, username: 'alice', network: '10.0.0.1', body });
  const refusal = (body: unknown) => patch(body).then(() => null, (err: AppError) => ({ status: err.status, code: err.code }));

  it('lets other changes through without it, and strips it whenever it is sent', async () => {
    expect(await patch({ nickname: 'Al' })).toEqual({ nickname: 'Al' });
    expect(await patch({ nickname: 'Al', currentPassword: 'anything' })).toEqual({ nickname: 'Al' });
    expect(compared).toEqual([]);
  });

  it('lets an admin change anything without it, stripped if sent', async () => {
    expect(await patch({ password: 'new-password', email: 'a@b.c', currentPassword: 'x' }, true)).toEqual({ password: 'new-password', email: 'a@b.c' });
    expect(compared).toEqual([]);
  });

  it('refuses a password or email change without it (401) or with a wrong one (403), and forwards the body without it when right', async () => {
    expect(await refusal({ password: 'new-password' })).toEqual({ status: 401, code: 120301 });
    expect(await refusal({ email: 'new@example.com' })).toEqual({ status: 401, code: 120301 });
    expect(await refusal({ email: 'new@example.com', currentPassword: 'wrong' })).toEqual({ status: 403, code: 120302 });
    expect(await refusal({ email: 'new@example.com', currentPassword: 42 })).toEqual({ status: 400, code: 100003 });
    expect(await patch({ email: 'new@example.com', currentPassword: 'right' })).toEqual({ email: 'new@example.com' });
  });

  it('counts a wrong one toward the lockout; once locked even the right one is refused the same way', async () => {
    expect(await refusal({ password: 'new-password', currentPassword: 'wrong-1' })).toEqual({ status: 403, code: 120302 });
    expect(await refusal({ password: 'new-password', currentPassword: 'wrong-2' })).toEqual({ status: 403, code: 120302 });
    expect((await guard.check('alice', '10.0.0.1')).locked).toBe(true);
    compared.length = 0;
    expect(await refusal({ password: 'new-password', currentPassword: 'right' })).toEqual({ status: 403, code: 120302 });
    expect(compared).toEqual(['HASH(right)']); // the same bcrypt work as a wrong one
  });

  it('passes a body that is not an object unchanged (user-command answers 400)', async () => {
    expect(await patch(['x'])).toEqual(['x']);
  });
});
