import { readFileSync } from 'node:fs';
import { OPENAPI_PATH } from './files';
import { openApiDocument, openApiJson } from './openapi';

type Operation = { operationId: string; responses: Record<string, { headers: Record<string, unknown>; content?: Record<string, { schema: unknown }> }>; security?: unknown[] };

describe('OpenAPI document', () => {
  it('docs/openapi.json is the document the contract generates (run `npx nx run api-contract:openapi` when this fails)', () => {
    expect(readFileSync(OPENAPI_PATH, 'utf8')).toBe(openApiJson());
  });

  const operations = () =>
    Object.entries(openApiDocument().paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => method !== 'parameters')
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, op })),
    );

  it('every response names traceparent, every error the error body, every 429 Retry-After, every 202 Location', () => {
    const problems: string[] = [];
    for (const { route, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response.headers.traceparent) problems.push(`${route} ${status}: no traceparent`);
        const schema = JSON.stringify(response.content?.['application/json']?.schema ?? null);
        if (Number(status) >= 400 && schema !== '{"$ref":"#/components/schemas/Error"}') problems.push(`${route} ${status}: not the error body`);
        if (status === '429' && !response.headers['Retry-After']) problems.push(`${route} 429: no Retry-After`);
        if (status === '202' && !response.headers.Location) problems.push(`${route} 202: no Location`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every operation has a unique id and says whether it needs the bearer token', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { op } of operations()) expect(op.security).toBeDefined();
  });
});
