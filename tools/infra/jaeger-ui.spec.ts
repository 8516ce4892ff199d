import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JAEGER_UI } from './defaults';
import { cargoCacheFiles, prepareJaegerUi, verifiedCrate } from './jaeger-ui';
import { readSettings } from './settings';

// The Jaeger UI's crate comes out of cargo's download cache only when its sha256 is the pinned one.
describe('jaeger-ui: the crate from cargo’s cache', () => {
  let home: string;
  const name = `${JAEGER_UI.crate}-${JAEGER_UI.version}.crate`;
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const put = (registry: string, text: string) => {
    mkdirSync(path.join(home, 'registry/cache', registry), { recursive: true });
    writeFileSync(path.join(home, 'registry/cache', registry, name), text);
    return path.join(home, 'registry/cache', registry, name);
  };

  beforeEach(() => (home = mkdtempSync(path.join(os.tmpdir(), 'cargo-home.'))));
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('finds the file in every registry cache (crates.io or a mirror) and nothing in an empty cargo home', () => {
    expect(cargoCacheFiles(name, home)).toEqual([]);
    const a = put('index.crates.io-1949cf8c6b5b557f', 'a');
    const b = put('mirror.example-0123456789abcdef', 'b');
    mkdirSync(path.join(home, 'registry/cache/other-registry'));
    expect(cargoCacheFiles(name, home).sort()).toEqual([a, b].sort());
  });

  it('takes the candidate with the pinned sha256 and refuses when none has it', () => {
    const bad = put('one', 'tampered');
    const good = put('two', 'the real crate');
    expect(verifiedCrate([bad, good], sha('the real crate'))).toBe(good);
    expect(() => verifiedCrate([bad], sha('the real crate'))).toThrow(`has sha256 ${sha('tampered')}, expected ${sha('the real crate')}`);
    expect(() => verifiedCrate([])).toThrow('left no otlp-embedded-0.0.2.crate');
  });
});

describe('jaeger-ui: a crate that cannot be fetched', () => {
  let dir: string;
  const saved = { PATH: process.env.PATH, CARGO_HOME: process.env.CARGO_HOME };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'jaeger-ui-spec.'));
    // a cargo that fails like one without registry access
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin/cargo'), '#!/bin/sh\necho "error: failed to get otlp-embedded as a dependency" >&2\nexit 101\n');
    chmodSync(path.join(dir, 'bin/cargo'), 0o755);
    process.env.PATH = `${path.join(dir, 'bin')}:${saved.PATH}`;
    process.env.CARGO_HOME = path.join(dir, 'cargo-home');
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.CARGO_HOME === undefined) delete process.env.CARGO_HOME;
    else process.env.CARGO_HOME = saved.CARGO_HOME;
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so in one line and leaves Jaeger with its API only (null assets path); cargo’s error is in the log', async () => {
    const settings = readSettings({ INFRA_DATA_DIR: path.join(dir, 'data'), USERSYS_CACHE: path.join(dir, 'cache') });
    mkdirSync(settings.logsDir, { recursive: true });
    const said: string[] = [];
    expect(await prepareJaegerUi({ settings, say: (l) => said.push(l), kafkaMode: 'single' })).toBeNull();
    expect(said.filter((l) => l.includes('no Jaeger UI'))).toEqual([expect.stringContaining('cargo fetch of otlp-embedded 0.0.2 failed')]);
    expect(said.at(-1)).toContain('Jaeger serves its API only');
    expect(readFileSync(path.join(settings.logsDir, 'jaeger-ui.log'), 'utf8')).toContain('failed to get otlp-embedded as a dependency');
  });
});
