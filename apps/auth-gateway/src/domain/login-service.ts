import { toSafeText } from '@usersys/event-schema';
import { clientNetwork } from '@usersys/rate-limiter';
import { AppError } from '@usersys/service-kit';
import { withSpan } from '@usersys/tracing';
import { ERRORS } from '../errors';
import type { BruteForceGuard } from './brute-force-guard';
import type { CredentialCache } from './credential-cache';
import type { InFlightGate } from './in-flight-gate';
import type { LastLoginBatcher } from './last-login-batcher';
import type { AuditTrail, LoginUser, PasswordVerifier, RateLimit, TokenPair, UserDirectory } from './ports';
import { badRequest, loginBody, problemsOf } from './request-schemas';
import type { TokenService } from './tokens';

export interface LoginRequest {
  body: unknown;
  clientIp: string;
  userAgent: string | null;
  traceId: string | null;
  traceparent?: string;
}

export interface LoginHooks {
  onFastFail?: () => void;
  onCacheHit?: () => void;
  onCacheMiss?: () => void;
  onBcryptCompare?: () => void;
  onAttempt?: (result: 'success' | 'failure', reason: string) => void;
}

export interface LoginDeps {
  gate: InFlightGate;
  limiter: RateLimit;
  users: UserDirectory;
  cache: CredentialCache;
  verifier: PasswordVerifier;
  /** A bcrypt hash of a random secret at the usual cost: unknown users cost one compare too. */
  dummyHash: string;
  tokens: TokenService;
  lastLogin: LastLoginBatcher;
  audit: AuditTrail;
  /** Per-account lockout, keyed by the username as given and the client network. */
  lockout: BruteForceGuard;
  fastFailMessage: string;
  hooks?: LoginHooks;
}

/** Refusal reasons in the audit trail; the client sees one 401 for all credential failures. */
type Reason = 'ok' | 'fast_fail' | 'rate_limited' | 'invalid_request' | 'unknown_user' | 'bad_credentials' | 'disabled' | 'deleted' | 'locked';

/** The username a refused body claimed, for the audit trail (made safe there). */
function claimedUsername(body: unknown): string {
  const username = (body as { username?: unknown } | null | undefined)?.username;
  return typeof username === 'string' ? username : '';
}

/**
 * POST /v1/auth/login: the body is validated first (no I/O, so a malformed or unsafe body costs
 * nothing and reaches no store), then the order of docs/architecture.md ("A login"): fast-fail, rate limit
 * per client IP, user lookup, credential cache, bcrypt in the worker pool, tokens, last-login
 * batching; every attempt goes to the audit trail.
 */
export class LoginService {
  constructor(private readonly deps: LoginDeps) {}

  async login(req: LoginRequest): Promise<TokenPair> {
    const { gate, hooks } = this.deps;
    const parsed = problemsOf(loginBody, req.body);
    if (!parsed.ok) {
      this.audit(req, claimedUsername(req.body), 'invalid_request');
      throw badRequest(parsed.problems);
    }
    const creds = parsed.value;
    const admitted = await withSpan('fastFail', {}, (span) => {
      const ok = gate.tryEnter();
      span.setAttribute('outcome', ok ? 'admitted' : 'refused');
      return ok;
    });
    if (!admitted) {
      hooks?.onFastFail?.();
      this.audit(req, creds.username, 'fast_fail');
      throw new AppError(ERRORS.LOGIN_BUSY, this.deps.fastFailMessage);
    }
    try {
      return await this.admitted(req, creds);
    } catch (err) {
      // The bcrypt workers refused the compare (expected wait over budget): refused for load like the
      // gate's fast-fail, so audited the same way (the pool counts it in its own metric).
      if (err instanceof AppError && err.code === ERRORS.PASSWORD_CHECK_BUSY.code) this.audit(req, creds.username, 'fast_fail');
      throw err;
    } finally {
      gate.leave();
    }
  }

  private async admitted(req: LoginRequest, creds: { username: string; password: string }): Promise<TokenPair> {
    const { limiter, users, cache, hooks, lockout } = this.deps;
    const network = clientNetwork(req.clientIp); // an IPv6 client's whole /64 is one client
    const rate = await withSpan('rateLimit', {}, async (span) => {
      const r = await limiter.consume(network);
      span.setAttributes({ outcome: r.allowed ? 'allowed' : 'limited', degrade: r.degraded });
      return r;
    });
    if (!rate.allowed) {
      this.audit(req, creds.username, 'rate_limited');
      throw new AppError(ERRORS.LOGIN_RATE_LIMITED, undefined, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(rate.retryAfterMs / 1000))) } });
    }

    const lock = await lockout.check(creds.username, network);
    const user = await users.find(creds.username);
    if (lock.locked) {
      // Exactly a wrong password's work and answer (no credential cache: a right password is no faster).
      await this.compare(creds.password, user?.state === 'active' ? user.passwordHash : this.deps.dummyHash);
      return this.refuse(req, creds.username, 'locked', network);
    }
    if (!user || user.state !== 'active') {
      // Refused before any cache hit, after the same bcrypt work a wrong password costs.
      await this.compare(creds.password, this.deps.dummyHash);
      return this.refuse(req, creds.username, !user ? 'unknown_user' : user.state === 'disabled' ? 'disabled' : 'deleted', network);
    }

    const key = cache.key(user.username, user.passwordHash, creds.password);
    const hit = await withSpan('credentialCache', { attributes: { 'enduser.id': user.username } }, (span) => {
      const found = cache.has(key);
      span.setAttribute('outcome', found ? 'hit' : 'miss');
      return found;
    });
    if (hit) hooks?.onCacheHit?.();
    else {
      hooks?.onCacheMiss?.();
      if (!(await this.compare(creds.password, user.passwordHash, user.username))) return this.refuse(req, creds.username, 'bad_credentials', network);
      cache.remember(key);
    }
    // Read the lock again: guesses that passed the first check together with a burst of wrong ones
    // (up to the fast-fail gate, not LOCKOUT_THRESHOLD) must not be answered once that burst locked it.
    if ((await lockout.check(creds.username, network)).locked) return this.refuse(req, creds.username, 'locked', network);
    await lockout.succeeded(creds.username, network, lock);
    return this.succeed(req, user);
  }

  private async compare(password: string, hash: string, username?: string): Promise<boolean> {
    this.deps.hooks?.onBcryptCompare?.();
    return withSpan('bcryptCompare', { attributes: username ? { 'enduser.id': username } : {} }, async (span) => {
      const ok = await this.deps.verifier.compare(password, hash);
      span.setAttribute('outcome', ok ? 'match' : 'mismatch');
      return ok;
    });
  }

  private async succeed(req: LoginRequest, user: LoginUser): Promise<TokenPair> {
    // Signing only: a login writes no token state, so it works while Redis is down.
    const tokens = await this.deps.tokens.issue({ username: user.username, accountId: user.accountId, credentialVersion: user.credentialVersion, role: user.role });
    await this.deps.lastLogin.record(user.username, new Date());
    this.audit(req, user.username, 'ok');
    return tokens;
  }

  /** Every refusal counts toward the lockout (a locked attempt is not counted again: the guard skips it). */
  private async refuse(req: LoginRequest, username: string, reason: Reason, network: string): Promise<never> {
    await this.deps.lockout.failed(username, network);
    this.audit(req, username, reason);
    throw new AppError(ERRORS.INVALID_CREDENTIALS);
  }

  /**
   * Audit records refuse unsafe text (PostgreSQL stores them), but what a refused client sent is
   * still worth keeping: the claimed username of an invalid body, and a User-Agent (HTTP allows
   * a tab and obs-text bytes there, which decode to C1 controls), keep their text with U+FFFD in
   * place, cut to the record's limits without splitting a surrogate pair.
   */
  private audit(req: LoginRequest, username: string, reason: Reason): void {
    const result = reason === 'ok' ? 'success' : 'failure';
    this.deps.hooks?.onAttempt?.(result, reason);
    this.deps.audit.record({
      username: toSafeText(username, 64),
      clientIp: toSafeText(req.clientIp, 45),
      userAgent: req.userAgent === null ? null : toSafeText(req.userAgent, 512),
      result,
      reason,
      traceId: req.traceId,
      traceparent: req.traceparent,
    });
  }
}
