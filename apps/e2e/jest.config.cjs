// End-to-end: starts the four real services against the real infrastructure (tools/infra.sh).
module.exports = { ...require('../../jest.preset.cjs')(__dirname, 'e2e'), testTimeout: 120000 };
