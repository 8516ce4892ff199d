import { catalogProblems } from '@usersys/service-kit';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERRORS } from './errors';

it('documents every error code of the catalog in ERRORS.md, each code used once', () => {
  expect(catalogProblems(ERRORS, readFileSync(path.join(__dirname, '..', 'ERRORS.md'), 'utf8'))).toEqual([]);
});
