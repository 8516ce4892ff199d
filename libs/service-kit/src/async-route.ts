import type { NextFunction, Request, Response } from 'express';

/** An async route handler whose rejection goes to the error handler (`next(err)`), never unhandled. */
export function asyncRoute(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);
}
