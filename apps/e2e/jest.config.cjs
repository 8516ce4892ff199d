// End-to-end: starts the four real services against the real infrastructure (tools/infra.sh).
const base = require('../../jest.preset.cjs')(__dirname, 'e2e');

// jose ships ESM only (the authorisation matrix signs its own tokens with it): compile it to
// CommonJS for Jest like our own sources.
module.exports = {
  ...base,
  testTimeout: 120000,
  transform: { ...base.transform, '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
