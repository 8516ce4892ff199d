const base = require('../../jest.preset.cjs')(__dirname, 'auth-gateway');

// jose ships ESM only: compile it to CommonJS for Jest like our own sources (Node itself loads it
// through require(esm)).
module.exports = {
  ...base,
  transform: { ...base.transform, '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
