// Public API of @usersys/user-command-testing: the real user-command in-process for integration tests,
// request helpers, in-memory ports. Test support (type:test-support): specs, e2e, benchmarks and tools
// import it, production code never does. `@usersys/user-command-testing/domain-fakes` is the lean entry
// for the use cases' unit specs: it does not load the service.
export { startInProcess, walEvents, call, newUser, ensureRequestOutcomeColumns, TOKEN, type Caller, type InProcessUserCommand } from './in-process';
export { fakeDeps } from './domain-fakes';
