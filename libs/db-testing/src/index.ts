// Public API of @usersys/db-testing: test support for specs, e2e, benchmarks and tools; production
// code never imports it (eslint.config.mjs, type:test-support).
export { createTestDatabase, DEFAULT_TEST_DATABASE_URL, type TestDatabase } from './test-database';
