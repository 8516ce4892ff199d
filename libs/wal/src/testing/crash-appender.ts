// Child process of wal.crash.spec.ts: appends from many concurrent loops until it is SIGKILLed,
// printing each record id only after its append resolved (stdout to a pipe is synchronous on Linux).
import { WalWriter } from '../writer';
import { expectedPayload } from './crash-payload';

const [dir, run, concurrency] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 64)];

async function main() {
  const writer = await WalWriter.open(dir, { segmentBytes: 256 * 1024 });
  process.stdout.write('ready\n');
  let seq = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const id = `${run}-${seq++}`;
        await writer.append(expectedPayload(id));
        process.stdout.write(`${id}\n`);
      }
    }),
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
