// Preloaded with `node --import tsx --import ./libs/tracing/src/register.ts <main>` (see each app's
// project.json) so the SDK patches modules before the app requires them.
import { startTracing } from './sdk';

try {
  startTracing();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
