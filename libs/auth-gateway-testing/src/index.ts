// Public API of @usersys/auth-gateway-testing: the gateway in-process for integration tests, seeded
// users, forged tokens. Test support (type:test-support): specs, e2e, benchmarks and tools import it,
// production code never does. `@usersys/auth-gateway-testing/forged-tokens` is the lean entry for
// unit specs: it does not load the gateway.
export { startTestGateway, testPrisma, uniqueName, seedUser, postJson, login, type TestGateway } from './gateway-fixture';
export { withAlgNone, withChangedPayload, claimsOf } from './forged-tokens';
