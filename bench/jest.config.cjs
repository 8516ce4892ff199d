// The benchmarks' own helpers (bench/lib) have unit specs; the benchmarks themselves run with `npm run bench`.
module.exports = { ...require('../jest.preset.cjs')(__dirname, 'bench'), testMatch: ['<rootDir>/lib/**/*.spec.ts'] };
