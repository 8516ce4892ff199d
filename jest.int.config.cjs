// `npm run test:int`: only the specs that need infrastructure (`*.int.spec.ts`), the complement of
// jest.unit.config.cjs (tools/test-split.spec.ts checks that the two add up to jest.config.cjs).
const { projects, testTimeout } = require('./jest.config.cjs');

// Same testMatch as each project; ignored: every path that does not end in .int.spec.ts.
const NOT_INTEGRATION = '^(?!.*\\.int\\.spec\\.ts$)';

module.exports = {
  testTimeout,
  projects: projects.map((file) => {
    const config = require(file);
    return { ...config, testPathIgnorePatterns: [...(config.testPathIgnorePatterns ?? ['/node_modules/']), NOT_INTEGRATION] };
  }),
};
