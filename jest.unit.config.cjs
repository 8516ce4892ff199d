// `npm run test:unit`: the quick loop. Every spec of jest.config.cjs except `*.int.spec.ts`, the ones
// that need infrastructure (shared Redis/PostgreSQL/Kafka, or private servers they start). Unit specs
// use fakes and local processes only, so this runs on a machine with nothing started.
// tools/test-split.spec.ts proves that unit + integration = everything `npm test` runs.
const { projects, testTimeout } = require('./jest.config.cjs');

const INTEGRATION = '\\.int\\.spec\\.ts$';

module.exports = {
  testTimeout,
  projects: projects.map((file) => {
    const config = require(file);
    return { ...config, testPathIgnorePatterns: [...(config.testPathIgnorePatterns ?? ['/node_modules/']), INTEGRATION] };
  }),
};
