it('probe', () => {
  let ok = 'ok';
  try { require('@prisma/schema-engine-wasm/schema_engine_bg'); } catch (e) { ok = String(e).slice(0, 200); }
  console.log('jest require:', ok);
  const nreq = process.getBuiltinModule('node:module').createRequire(__filename);
  const rt = nreq('@prisma/schema-engine-wasm/schema_engine_bg');
  console.log('native require keys', Object.keys(rt).length, typeof rt.SchemaEngine);
  console.log('realm same?', Object.getPrototypeOf(new Uint8Array(1)) === Object.getPrototypeOf(nreq('node:buffer').Buffer.alloc(1).__proto__));
});
