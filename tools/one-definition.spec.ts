import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// Small primitives the services share are written once: a second copy drifts (a different cap, no
// jitter, a comparison that leaks timing). Each rule names the primitive's one home and the
// signatures that define it; any other file with such a signature fails here, naming the file.
const REPO = path.resolve(__dirname, '..');
const ROOTS = ['apps', 'libs', 'tools', 'bench'];
const SKIPPED_DIRS = new Set(['node_modules', 'generated', 'dist', 'results', '.nx']);

interface Rule {
  primitive: string;
  /** The one file allowed to define it (relative to the repo root). */
  home: string;
  /** Signatures of a definition; each must stay global (`g`) for matchAll. */
  signatures: RegExp[];
  /** `production`: only the services' code counts (tests and tooling may build their own). */
  scope: 'everywhere' | 'production';
}

const RULES: Rule[] = [
  {
    primitive: 'capped exponential backoff',
    home: 'libs/service-kit/src/backoff.ts',
    // `function backoffMs(`, a doubling capped with Math.min (`Math.min(delay * 2, max)`, `Math.min(base * 2 ** n, max)`), `delay *= 2`.
    signatures: [/function\s+\w*[bB]ackoff\w*\s*\(/g, /Math\.min\([^;\n]*\*\s*2\b/g, /\*=\s*2\b/g],
    scope: 'everywhere',
  },
  {
    primitive: 'wakeable sleeper',
    home: 'libs/service-kit/src/wakeable-sleeper.ts',
    // The hand-rolled version: take the stored resolver, clear the field, call it.
    signatures: [/const (\w+) = this\.(\w+);\s*this\.\2 = null;\s*\1\?\.\(\);/g, /class\s+\w*Sleeper\b/g],
    scope: 'everywhere',
  },
  {
    primitive: 'Kafka client construction',
    home: 'libs/service-kit/src/kafka-client.ts',
    signatures: [/new Kafka\(/g],
    scope: 'production',
  },
  {
    primitive: 'timing-safe secret comparison (internal-token guard)',
    home: 'libs/service-kit/src/internal-token.ts',
    signatures: [/timingSafeEqual\(/g, /function\s+requireInternalToken\b/g],
    scope: 'everywhere',
  },
  {
    primitive: 'asyncRoute',
    home: 'libs/service-kit/src/async-route.ts',
    signatures: [/function\s+asyncRoute\b/g, /\basyncRoute\s*=/g],
    scope: 'everywhere',
  },
  {
    primitive: 'consumer-group lag per partition',
    home: 'libs/service-kit/src/consumer-lag.ts',
    // The end offset minus a committed one (`Number(end.high) - from`); minus the low watermark
    // (messages retained) or 1 (the last offset) is something else.
    signatures: [/Number\(\w+\.high\)\s*-(?!\s*(?:Number\(\w+\.low\)|1\b))/g],
    scope: 'everywhere',
  },
  {
    primitive: 'percentiles (and the median)',
    home: 'libs/load-suite/src/stats.ts',
    signatures: [/function\s+(percentile|quantile|median|nearestRank)\b/g, /\b(percentile|quantile|median)\s*=\s*\(/g],
    scope: 'everywhere',
  },
];

const THIS_FILE = path.relative(REPO, __filename);

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED_DIRS.has(name)) return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [path.relative(REPO, full)] : [];
  });
}

function tags(projectJson: string): string[] {
  return (JSON.parse(readFileSync(path.join(REPO, projectJson), 'utf8')) as { tags?: string[] }).tags ?? [];
}

/** The services' projects: the apps tagged type:app and the libs tagged scope:shared (what the services may import). */
const PRODUCTION_ROOTS = ['apps', 'libs'].flatMap((root) =>
  readdirSync(path.join(REPO, root))
    .filter((name) => existsSync(path.join(REPO, root, name, 'project.json')))
    .filter((name) => {
      const t = tags(path.join(root, name, 'project.json'));
      return root === 'apps' ? t.includes('type:app') : t.includes('scope:shared');
    })
    .map((name) => `${root}/${name}/`),
);

/** Production code: a service project's source that is neither a spec nor its test support. */
function isProduction(file: string): boolean {
  return PRODUCTION_ROOTS.some((root) => file.startsWith(root)) && !/\.spec\.ts$/.test(file) && !file.split('/').includes('testing');
}

const FILES = ROOTS.flatMap((root) => sources(path.join(REPO, root))).filter((file) => file !== THIS_FILE);

/** `file:line` of every definition of the rule's primitive outside its home. */
function strayDefinitions(rule: Rule, files: Array<{ file: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { file, text } of files) {
    if (file === rule.home) continue;
    for (const signature of rule.signatures) {
      for (const m of text.matchAll(signature)) found.push(`${file}:${text.slice(0, m.index).split('\n').length}`);
    }
  }
  return found.sort();
}

describe('one definition per primitive', () => {
  const texts = FILES.map((file) => ({ file, text: readFileSync(path.join(REPO, file), 'utf8') }));

  it('reads the source tree and knows the service projects', () => {
    expect(FILES.length).toBeGreaterThan(300);
    expect(PRODUCTION_ROOTS).toEqual(expect.arrayContaining(['apps/auth-gateway/', 'apps/wal-relay/', 'libs/service-kit/']));
    expect(PRODUCTION_ROOTS).not.toContain('libs/test-infra/');
  });

  it.each(RULES.map((rule) => [rule.primitive, rule] as const))('%s is defined nowhere but its home', (_name, rule) => {
    const inScope = rule.scope === 'production' ? texts.filter((t) => isProduction(t.file)) : texts;
    expect(strayDefinitions(rule, inScope)).toEqual([]);
  });

  it.each(RULES.map((rule) => [rule.primitive, rule] as const))('%s is defined in its home (so the signatures still fit)', (_name, rule) => {
    const home = texts.find((t) => t.file === rule.home);
    expect(home).toBeDefined();
    expect(rule.signatures.some((s) => new RegExp(s.source).test(home!.text))).toBe(true);
  });

  it('finds a second definition when one appears', () => {
    const copy = { file: 'apps/some-app/src/retry.ts', text: 'const asyncRoute = (fn) => fn;\nexport function backoff(n) {\n  return Math.min(base * 2 ** n, max);\n}\n' };
    const rule = (primitive: string) => RULES.find((r) => r.primitive.startsWith(primitive))!;
    expect(strayDefinitions(rule('capped exponential backoff'), [copy])).toEqual(['apps/some-app/src/retry.ts:2', 'apps/some-app/src/retry.ts:3']);
    expect(strayDefinitions(rule('asyncRoute'), [copy])).toEqual(['apps/some-app/src/retry.ts:1']);
  });

  it("counts a service's own source as production, not its specs, test support or the tooling", () => {
    expect(isProduction('apps/wal-relay/src/kafka-sink.ts')).toBe(true);
    expect(isProduction('libs/service-kit/src/kafka-client.ts')).toBe(true);
    expect(isProduction('apps/wal-relay/src/testing/read-back.ts')).toBe(false);
    expect(isProduction('apps/auth-gateway/src/login-audit-outage.int.spec.ts')).toBe(false);
    expect(isProduction('apps/e2e/src/harness.ts')).toBe(false);
    expect(isProduction('libs/test-infra/src/cluster-infra.ts')).toBe(false);
    expect(isProduction('tools/dead-letters.ts')).toBe(false);
  });
});
