// The command-line conventions every tool follows: `--help`/`-h` prints its usage on stdout and
// exits 0; a bad option or argument prints one line and the usage on stderr and exits 2 (never a
// stack trace). tools/help.spec.ts runs every tool with --help.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Prints `usage` and exits 0 when the arguments ask for help (`--help`, `-h`, `help`). */
export function exitOnHelp(usage: string, args: readonly string[] = process.argv.slice(2)): void {
  if (args.some((a) => a === '--help' || a === '-h') || args[0] === 'help') {
    console.log(usage.trimEnd());
    process.exit(0);
  }
}

/** Bad usage: one line naming the problem, then the usage, exit 2. */
export function usageError(tool: string, problem: string, usage: string): never {
  console.error(`${tool}: ${problem}`);
  console.error(usage.trimEnd());
  process.exit(2);
}

/** node:util parseArgs (strict) with --help handled and parse errors turned into usageError. */
export function parseCli<T extends ParseArgsConfig['options']>(tool: string, usage: string, options: T, allowPositionals = false) {
  const args = process.argv.slice(2);
  exitOnHelp(usage, args);
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    return usageError(tool, (err as Error).message, usage);
  }
}
