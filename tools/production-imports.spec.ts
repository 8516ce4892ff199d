import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// What production code may import, read from the sources themselves. Nx's project graph
// (`npx nx graph --file=<file>.json`) counts a project's specs with its code, so an app's edge to
// its own test support (its specs use it) shows there too; this spec draws the graph of production
// files only (no *.spec.ts, no test support) and holds it to the rule eslint.config.mjs enforces:
// a service's code imports shared libraries (type:lib, scope:shared) and its own project, never
// another app, test support or tooling.
const REPO = path.resolve(__dirname, '..');

interface Project {
  dir: string;
  name: string;
  tags: string[];
}

const PROJECTS: Project[] = ['apps', 'libs'].flatMap((root) =>
  readdirSync(path.join(REPO, root))
    .filter((dir) => existsSync(path.join(REPO, root, dir, 'project.json')))
    .map((dir) => {
      const pkg = path.join(REPO, root, dir, 'package.json');
      const name = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { name: string }).name : `@usersys/${dir}`;
      return { dir: `${root}/${dir}`, name, tags: (JSON.parse(readFileSync(path.join(REPO, root, dir, 'project.json'), 'utf8')) as { tags?: string[] }).tags ?? [] };
    }),
);

const isProductionProject = (p: Project) => p.tags.includes('type:app') || (p.tags.includes('type:lib') && p.tags.includes('scope:shared'));
const isSharedLib = (p: Project) => p.tags.includes('type:lib') && p.tags.includes('scope:shared');

function productionFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'generated'].includes(entry.name) ? [] : productionFiles(full);
    return /\.(ts|mjs|cjs|js)$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** `from '…'`, `import('…')`, `require('…')`: every module a file names. */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

/** Imports of `file` (in project `owner`) that break the rule, as `file: specifier (why)`. */
function forbiddenImports(owner: Project, file: string, text: string, projects: Project[] = PROJECTS): string[] {
  const where = path.relative(REPO, file);
  return importsOf(text).flatMap((spec) => {
    if (spec.startsWith('.')) {
      const target = path.relative(REPO, path.resolve(path.dirname(file), spec));
      return target.startsWith(`${owner.dir}/`) ? [] : [`${where}: ${spec} (reaches out of ${owner.dir})`];
    }
    const target = projects.find((p) => spec === p.name || spec.startsWith(`${p.name}/`));
    if (!target || target === owner || isSharedLib(target)) return [];
    return [`${where}: ${spec} (${target.tags.join(', ')})`];
  });
}

describe('production code imports only shared libraries and its own project', () => {
  const production = PROJECTS.filter(isProductionProject);

  it('knows the projects and their tags', () => {
    expect(production.map((p) => p.dir)).toEqual(expect.arrayContaining(['apps/auth-gateway', 'apps/user-command', 'apps/wal-relay', 'apps/user-consumer', 'libs/service-kit', 'libs/event-schema']));
    expect(production.map((p) => p.dir)).not.toEqual(expect.arrayContaining(['libs/test-infra']));
    expect(PROJECTS.filter((p) => p.tags.includes('type:test-support')).map((p) => p.dir)).toEqual(expect.arrayContaining(['libs/db-testing', 'libs/auth-gateway-testing', 'libs/user-command-testing', 'libs/user-consumer-testing', 'libs/wal-relay-testing']));
  });

  it.each(production.map((p) => [p.dir, p] as const))('%s', (_dir, project) => {
    const files = productionFiles(path.join(REPO, project.dir, 'src'));
    expect(files.length).toBeGreaterThan(0);
    expect(files.flatMap((file) => forbiddenImports(project, file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('names an import of another app, of test support, of tooling and a relative path out of the project', () => {
    const gateway = PROJECTS.find((p) => p.dir === 'apps/auth-gateway')!;
    const file = path.join(REPO, 'apps/auth-gateway/src/service.ts');
    const text = [
      "import { loadConfig } from '@usersys/user-command/src/config';",
      "import { createTestDatabase } from '@usersys/db-testing';",
      "import { startServices } from '@usersys/service-runner';",
      "const x = require('../../wal-relay/src/relay');",
      "import { backoffMs } from '@usersys/service-kit';",
      "import { loadConfig as own } from './config';",
    ].join('\n');
    expect(forbiddenImports(gateway, file, text)).toEqual([
      'apps/auth-gateway/src/service.ts: @usersys/user-command/src/config (type:app, scope:user-command)',
      'apps/auth-gateway/src/service.ts: @usersys/db-testing (type:test-support, scope:shared)',
      'apps/auth-gateway/src/service.ts: @usersys/service-runner (type:lib, scope:tooling)',
      'apps/auth-gateway/src/service.ts: ../../wal-relay/src/relay (reaches out of apps/auth-gateway)',
    ]);
  });
});
