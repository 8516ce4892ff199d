// Runs ONE command of Prisma's schema engine (WebAssembly build) against PostgreSQL, in a worker thread.
//
// Why a worker, and why plain .mjs:
//  - @prisma/schema-engine-wasm is ESM-only; Jest (CommonJS, no --experimental-vm-modules) cannot load it,
//    but a worker thread uses Node's own loader, in tsx, Jest and plain node alike.
//  - The WASM engine keeps handles alive after free(); terminating the worker releases everything.
//
// Wiring (same as the Prisma CLI's wasmSchemaEngineLoader in @prisma/internals):
//   glue  = @prisma/schema-engine-wasm/schema_engine_bg.js      (wasm-bindgen JS glue)
//   bytes = prisma/build/schema_engine_bg.wasm                  (the engine build shipped with the prisma CLI,
//                                                                i.e. exactly @prisma/engines-version)
//   new WebAssembly.Instance(module, { './schema_engine_bg.js': glue }); glue.__wbg_set_wasm(exports); __wbindgen_start()
//   SchemaEngine.new({ datamodels }, logCallback, bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool)))
//
// workerData: { databaseUrl, command, input, datamodels } ; posts back { result } or { error: { message, code } }.
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';

const require = createRequire(import.meta.url);
const pg = require('pg');
const { PrismaPg } = require('@prisma/adapter-pg');
const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');

/** Compile the engine: prefer the CLI's own build, fall back to the package's build if its imports don't match the glue. */
function loadSchemaEngineClass() {
  const candidates = [
    path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'schema_engine_bg.wasm'),
    path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm'),
  ];
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    const module = new WebAssembly.Module(fs.readFileSync(file));
    const compatible = WebAssembly.Module.imports(module).every(
      (imp) => imp.module === './schema_engine_bg.js' && typeof glue[imp.name] === 'function',
    );
    if (!compatible) continue;
    const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    return glue.SchemaEngine;
  }
  throw new Error('No schema_engine_bg.wasm compatible with @prisma/schema-engine-wasm glue was found');
}

// The engine's schema describer selects pg_catalog columns of PostgreSQL's internal "char" type (OID 18,
// e.g. pg_constraint.contype). @prisma/adapter-pg cannot map that OID and fails with
// "Column type 'char' could not be deserialized from the database"; its values are plain strings, so report it as text.
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
function textifyCharColumns(result) {
  for (const r of [].concat(result ?? [])) {
    for (const field of r?.fields ?? []) if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
  }
  return result;
}
class CatalogFriendlyClient extends pg.Client {
  query(config, values, callback) {
    if (typeof values === 'function') [callback, values] = [values, undefined];
    if (typeof callback === 'function') {
      return super.query(config, values, (err, res) => callback(err, err ? res : textifyCharColumns(res)));
    }
    const ret = super.query(config, values);
    return typeof ret?.then === 'function' ? ret.then(textifyCharColumns) : ret;
  }
}

// adapter-pg's executeScript splits scripts on ';' (breaks on quoted ';' / function bodies) and may spread the
// pieces over pool connections. The native schema engine sends a migration script as ONE simple-protocol query
// (one implicit transaction); do the same.
function sendScriptsWhole(adapter) {
  adapter.executeScript = async (script) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      adapter.onError(error); // rethrows as DriverAdapterError, which the engine understands
    }
  };
  return adapter;
}

async function main() {
  const { databaseUrl, command, input, datamodels } = workerData;
  // One connection: the engine takes a session-level advisory lock and expects a single session, like the binary.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 1,
    connectionTimeoutMillis: 10_000,
    application_name: 'usersys-schema-engine',
    Client: CatalogFriendlyClient,
  });
  pool.on('error', () => {}); // idle-client errors surface on the next query anyway
  const pgFactory = new PrismaPg(pool);
  const factory = {
    provider: pgFactory.provider,
    adapterName: pgFactory.adapterName,
    connect: async () => sendScriptsWhole(await pgFactory.connect()),
    connectToShadowDb: async () => sendScriptsWhole(await pgFactory.connectToShadowDb()),
  };
  const SchemaEngine = loadSchemaEngineClass();
  const logs = [];
  const engine = await SchemaEngine.new(
    { datamodels },
    (line) => logs.push(String(line)),
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  try {
    // Call as a method: extracting engine[command] into a variable loses the wasm-bindgen `this` binding.
    return await engine[command](input);
  } finally {
    engine.free();
    await pool.end().catch(() => {});
  }
}

main().then(
  (result) => parentPort.postMessage({ result }),
  (error) => parentPort.postMessage({ error: { message: String(error?.message ?? error), code: error?.code } }),
);
