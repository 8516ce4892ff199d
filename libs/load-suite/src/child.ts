// One worker process of `npm run load -- <scenario> --processes N`: receives its share of a stage
// over IPC, runs it and sends back the raw samples.
import { childMain } from './load';

process.once('message', (job) => {
  childMain(job as Parameters<typeof childMain>[0]).then(
    (result) => process.send!(result),
    (err) => {
      process.stderr.write(`load child: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
});
