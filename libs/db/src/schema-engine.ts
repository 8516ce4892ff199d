import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

/** Engine methods we may call (all take one JSON input and return a Promise). */
export type SchemaEngineCommand = 'applyMigrations' | 'diff' | 'diagnoseMigrationHistory';
type Input<C extends SchemaEngineCommand> = Parameters<SchemaEngine[C]>[0];
type Output<C extends SchemaEngineCommand> = Awaited<ReturnType<SchemaEngine[C]>>;

export class SchemaEngineError extends Error {
  override name = 'SchemaEngineError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Engine errors carry a Rust span trace ("   0: schema_engine_wasm::…"); keep the human part only. */
function stripSpanTrace(message: string): string {
  const idx = message.search(/\n\s+0: /);
  return (idx === -1 ? message : message.slice(0, idx)).trim();
}

/**
 * Runs one command of Prisma's WASM schema engine against `databaseUrl` (through @prisma/adapter-pg)
 * in a short-lived worker thread (see schema-engine-worker.mjs for why).
 * `datamodels`: the Prisma schema files ([path, content]) the engine is initialised with.
 */
export function runSchemaEngine<C extends SchemaEngineCommand>(
  databaseUrl: string,
  command: C,
  input: Input<C>,
  datamodels?: [string, string][],
): Promise<Output<C>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'schema-engine-worker.mjs'), {
      workerData: { databaseUrl, command, input, datamodels },
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (msg: { result?: Output<C>; error?: { message: string; code?: string } }) =>
      settle(() =>
        msg.error
          ? reject(new SchemaEngineError(stripSpanTrace(msg.error.message), msg.error.code))
          : resolve(msg.result as Output<C>),
      ),
    );
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) =>
      settle(() => reject(new SchemaEngineError(`schema engine worker exited (code ${code}) without a result`))),
    );
  });
}
