import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import type { BruteForceGuard } from './brute-force-guard';
import type { PasswordVerifier, UserDirectory } from './ports';
import { loginBody, parseRequest } from './request-schemas';

export interface PatchRequest {
  /** The caller is an admin (may change anything without re-authenticating). */
  admin: boolean;
  /** The account being changed (for a non-admin: the caller's own). */
  username: string;
  /** The caller's client network (clientNetwork of the address). */
  network: string;
  body: unknown;
}

/** The fields whose change takes the account over: a stolen access token alone must not be enough for them. */
const SENSITIVE = ['password', 'email'] as const;
const currentPasswordSchema = loginBody.shape.password;

/**
 * Re-authentication on PATCH /v1/users/:u. A user who changes the password or email must send
 * `currentPassword`: missing → 401, wrong → 403 (counted as a failed login of that username from
 * that network), locked → the same 403 after the same bcrypt work. `currentPassword` is always
 * removed from the body before it is forwarded, so it never reaches user-command (whose update schema
 * refuses it), the WAL, Kafka or a log; an admin needs none (user-command logs admin writes).
 */
export class CurrentPasswordCheck {
  constructor(
    private readonly deps: {
      users: UserDirectory;
      verifier: PasswordVerifier;
      guard: BruteForceGuard;
      /** A bcrypt hash at the usual cost, compared when the account is gone, so that answer costs the same. */
      dummyHash: string;
    },
  ) {}

  /** The body to forward; throws the 400/401/403 above. */
  async bodyToForward(req: PatchRequest): Promise<unknown> {
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return body; // user-command answers 400
    const { currentPassword, ...rest } = body as Record<string, unknown>;
    if (req.admin || !SENSITIVE.some((field) => field in rest)) return rest;
    if (currentPassword === undefined) throw new AppError(ERRORS.CURRENT_PASSWORD_REQUIRED);
    const password = parseRequest(currentPasswordSchema, currentPassword, 'currentPassword');

    const { users, verifier, guard, dummyHash } = this.deps;
    const lock = await guard.check(req.username, req.network);
    const user = await users.find(req.username);
    const matches = await verifier.compare(password, user?.state === 'active' ? user.passwordHash : dummyHash);
    if (lock.locked || !matches || user?.state !== 'active') {
      await guard.failed(req.username, req.network); // not counted while locked
      throw new AppError(ERRORS.CURRENT_PASSWORD_WRONG);
    }
    await guard.succeeded(req.username, req.network, lock);
    return rest;
  }
}
