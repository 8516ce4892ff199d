// Unit tests of the developer tools (load suite, trace CLI); the load suite's run against the real
// system is in apps/e2e.
module.exports = { ...require('../jest.preset.cjs')(__dirname, 'tools'), testMatch: ['<rootDir>/**/*.spec.ts'] };
