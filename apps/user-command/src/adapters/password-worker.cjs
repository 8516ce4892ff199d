// Runs in a piscina worker thread: bcrypt is CPU-bound and must never run on the event loop.
const bcrypt = require('bcryptjs');

module.exports = ({ password, cost }) => bcrypt.hashSync(password, cost);
