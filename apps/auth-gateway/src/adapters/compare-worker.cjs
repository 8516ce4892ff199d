// Runs in a piscina worker thread: bcrypt is CPU-bound and must never run on the event loop.
const bcrypt = require('bcryptjs');

module.exports = ({ op, password, hash, cost }) => (op === 'hash' ? bcrypt.hashSync(password, cost) : bcrypt.compareSync(password, hash));
