/**
 * `db.query.text` of a Redis command span: the command and the keys it touches, never values or
 * Lua scripts. The instrumentation's default writes every argument of EVAL/EVALSHA (the whole
 * script, contact values) into each span: costly to build and export, and nothing an operator needs.
 */
export function redisStatement(command: string, args: ReadonlyArray<unknown>): string {
  const name = command.toLowerCase();
  if (name === 'eval' || name === 'evalsha' || name === 'evalsha_ro' || name === 'eval_ro') {
    const numKeys = Number(args[1]) || 0;
    return [command, ...args.slice(2, 2 + numKeys).map(String)].join(' ');
  }
  return args.length > 0 && (typeof args[0] === 'string' || Buffer.isBuffer(args[0])) ? `${command} ${String(args[0])}` : command;
}
