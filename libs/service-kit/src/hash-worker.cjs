// Runs in a piscina worker thread (PasswordHashPool): bcrypt is CPU-bound and must never run on the
// event loop. Sync calls on purpose: the thread is the unit of parallelism, so hashing never takes
// a slot of libuv's thread pool (which the WAL's fsync uses).
const impls = {
  'node-rs': () => {
    const b = require('@node-rs/bcrypt');
    return { hash: (password, cost) => b.hashSync(password, cost), compare: (password, hash) => b.verifySync(password, hash) };
  },
  bcryptjs: () => {
    const b = require('bcryptjs');
    return { hash: (password, cost) => b.hashSync(password, cost), compare: (password, hash) => b.compareSync(password, hash) };
  },
};
const loaded = {};

// The time inside the worker is returned too: it feeds the pool's expected-wait estimate.
module.exports = ({ impl, op, password, hash, cost }) => {
  const bcrypt = (loaded[impl] ??= impls[impl]());
  const started = performance.now();
  const value = op === 'hash' ? bcrypt.hash(password, cost) : bcrypt.compare(password, hash);
  return { value, ms: performance.now() - started };
};
