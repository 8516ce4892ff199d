// Runs in a piscina worker thread: bcrypt is CPU-bound and must never run on the event loop.
const bcrypt = require('bcryptjs');

// The time inside the worker is reported too: workers ÷ that time is the pool's real ceiling.
module.exports = ({ password, cost }) => {
  const started = performance.now();
  const hash = bcrypt.hashSync(password, cost);
  return { hash, ms: performance.now() - started };
};
