import path from 'node:path';

/** The committed OpenAPI document (docs/openapi.json at the repository root). */
export const OPENAPI_PATH = path.resolve(__dirname, '../../../docs/openapi.json');
