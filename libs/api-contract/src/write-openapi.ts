import { writeFileSync } from 'node:fs';
import { OPENAPI_PATH } from './files';
import { openApiJson } from './openapi';

// `npx nx run api-contract:openapi`: writes docs/openapi.json from the contract (openapi.spec.ts fails while it is stale).
if (process.argv.includes('--help')) {
  console.log('usage: node --import tsx libs/api-contract/src/write-openapi.ts\nWrites docs/openapi.json from libs/api-contract (the staleness test compares the two).');
  process.exit(0);
}
writeFileSync(OPENAPI_PATH, openApiJson());
console.log(`wrote ${OPENAPI_PATH}`);
