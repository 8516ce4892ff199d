import type { Request, Response } from 'express';
import { asyncRoute } from './async-route';

describe('asyncRoute', () => {
  const req = {} as Request;
  const res = {} as Response;

  it('hands a rejection to next', async () => {
    const boom = new Error('boom');
    const next = jest.fn();
    await asyncRoute(async () => {
      throw boom;
    })(req, res, next);
    expect(next).toHaveBeenCalledWith(boom);
  });

  it('leaves next alone when the handler answers', async () => {
    const next = jest.fn();
    const handler = jest.fn(async () => undefined);
    await asyncRoute(handler)(req, res, next);
    expect(handler).toHaveBeenCalledWith(req, res);
    expect(next).not.toHaveBeenCalled();
  });
});
