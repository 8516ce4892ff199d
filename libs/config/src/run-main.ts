import { ConfigError } from './env';

/**
 * Runs a service's async main. A ConfigError becomes the one clear line naming the variable (docs/operations.md);
 * anything else is printed in full. Either way the process exits non-zero instead of limping on.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  });
}
