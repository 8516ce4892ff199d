import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERRORS } from './errors';

// Like fastify's error catalog: a code that is not documented fails the build.
describe('error catalog', () => {
  const doc = readFileSync(path.join(__dirname, '..', 'ERRORS.md'), 'utf8');

  it.each(Object.entries(ERRORS))('%s is documented with its code and status', (_name, spec) => {
    expect(doc).toMatch(new RegExp(`\\|\\s*${spec.code}\\s*\\|\\s*${spec.status}\\s*\\|`));
  });

  it('uses every code once', () => {
    const codes = Object.values(ERRORS).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
