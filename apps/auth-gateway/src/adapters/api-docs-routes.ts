import { openApiDocument } from '@usersys/api-contract';
import type { Express } from 'express';
import swaggerUi from 'swagger-ui-express';

/**
 * GET /openapi.json: the OpenAPI 3.1 document generated from @usersys/api-contract (the same one as
 * docs/openapi.json); /docs: an interactive reference (Swagger UI) reading it, its assets served
 * from this process (swagger-ui-dist), so it works offline and without a CDN.
 */
export function registerApiDocsRoutes(app: Express): void {
  const document = openApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(undefined, { customSiteTitle: 'usersys API', swaggerOptions: { url: '/openapi.json' } }));
}
