import type { NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { AppError, type ErrorSpec } from './errors';

/**
 * The two secrets (tokens, MACs) are equal, compared in constant time. A length mismatch answers
 * at once: timingSafeEqual needs equal lengths, and the length is not the secret.
 */
export function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Middleware: a request without the shared internal credential in `x-internal-token` is refused with `unauthenticated`. */
export function requireInternalToken(token: string, unauthenticated: ErrorSpec) {
  const expected = Buffer.from(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    const given = Buffer.from(req.get('x-internal-token') ?? '');
    next(sameSecret(given, expected) ? undefined : new AppError(unauthenticated));
  };
}
