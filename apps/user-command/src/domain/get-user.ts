import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import { authorize, type Caller } from './caller';
import type { UserDirectory, UserView } from './ports';
import { lookupUnavailable } from './uniqueness';

/** The user or an admin reads the user's public view (never a password hash); a deleted user is gone. */
export async function getUser(deps: { directory: UserDirectory }, caller: Caller, username: string): Promise<UserView> {
  authorize(caller, 'self-or-admin', username);
  let view: UserView | null;
  try {
    view = await deps.directory.view(username);
  } catch (err) {
    throw lookupUnavailable(err);
  }
  if (!view || view.state === 'deleted') throw new AppError(ERRORS.USER_NOT_FOUND);
  return view;
}
