import type { Request, Response } from 'express';
import { AppError } from './errors';
import { requireInternalToken, sameSecret } from './internal-token';

describe('sameSecret', () => {
  it('is true only for equal bytes, also when the lengths differ', () => {
    expect(sameSecret(Buffer.from('s3cret'), Buffer.from('s3cret'))).toBe(true);
    expect(sameSecret(Buffer.from('s3creT'), Buffer.from('s3cret'))).toBe(false);
    expect(sameSecret(Buffer.from('s3cre'), Buffer.from('s3cret'))).toBe(false);
    expect(sameSecret(Buffer.alloc(0), Buffer.from('s3cret'))).toBe(false);
  });
});

describe('requireInternalToken', () => {
  const UNAUTHENTICATED = { code: 190001, status: 401, message: 'missing or wrong internal credential' };
  const guard = requireInternalToken('internal-token-value', UNAUTHENTICATED);
  const run = (header: string | undefined) => {
    const next = jest.fn();
    guard({ get: (name: string) => (name.toLowerCase() === 'x-internal-token' ? header : undefined) } as unknown as Request, {} as Response, next);
    return next.mock.calls[0] as unknown[];
  };

  it('passes a request with the token', () => {
    expect(run('internal-token-value')).toEqual([undefined]);
  });

  it.each([
    ['no header', undefined],
    ['an empty one', ''],
    ['a wrong token of the same length', 'internal-token-valuE'],
    ['a prefix', 'internal-token'],
  ])('refuses %s with the given error', (_what, header) => {
    const [err] = run(header);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 190001, status: 401, message: 'missing or wrong internal credential' });
  });
});
