import { catalogProblems, COMMON_ERRORS } from '@usersys/service-kit';
import { readFileSync } from 'node:fs';
import path from 'node:path';

it('documents every error code the relay can answer (the shared ones) in ERRORS.md, each code used once', () => {
  expect(catalogProblems(COMMON_ERRORS, readFileSync(path.join(__dirname, '..', 'ERRORS.md'), 'utf8'))).toEqual([]);
});
