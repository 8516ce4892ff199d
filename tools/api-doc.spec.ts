import { readFileSync } from 'node:fs';
import { API_DOC_FILE, apiReference, readOpenApi, withReference } from './api-doc';

// docs/api.md's reference is generated from docs/openapi.json (itself checked against the zod
// schemas by libs/api-contract/src/openapi.spec.ts): stale → `node --import tsx tools/api-doc.ts`.
describe('docs/api.md', () => {
  const doc = readOpenApi();
  const page = readFileSync(API_DOC_FILE, 'utf8');

  it('holds the reference generated from docs/openapi.json', () => {
    expect(page).toBe(withReference(page, doc));
  });

  it('documents every operation and every status of docs/openapi.json', () => {
    const reference = apiReference(doc);
    const operations = Object.entries(doc.paths).flatMap(([route, item]) =>
      (['get', 'put', 'post', 'patch', 'delete'] as const).filter((m) => item[m]).map((m) => ({ heading: `### \`${m.toUpperCase()} ${route}\``, statuses: Object.keys(item[m]!.responses) })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(16);
    for (const op of operations) {
      const section = reference.slice(reference.indexOf(op.heading), reference.indexOf('\n### ', reference.indexOf(op.heading) + 1));
      expect(section.startsWith(op.heading)).toBe(true);
      for (const status of op.statuses) expect(section).toContain(`\n| ${status} | `);
    }
  });
});
