import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const APPS = ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'];

// Production code (type:app, type:lib) depends only on libs: apps never import apps, libs never import
// apps, and neither imports test support. Test support (type:test-support: libs/db-testing,
// libs/<app>-testing, libs/test-infra) is for specs, e2e, benchmarks and tools.
const productionTypes = ['type:app', 'type:lib'].map((sourceTag) => ({ sourceTag, onlyDependOnLibsWithTags: ['type:lib'] }));
const testTypes = ['type:test-support', 'type:e2e', 'type:tool'].map((sourceTag) => ({ sourceTag, onlyDependOnLibsWithTags: ['type:lib', 'type:test-support'] }));
// Specs of any project may use test support as well.
const specTypes = ['type:app', 'type:lib', 'type:test-support', 'type:e2e', 'type:tool'].map((sourceTag) => ({ sourceTag, onlyDependOnLibsWithTags: ['type:lib', 'type:test-support'] }));
// Apps and shared libs use only shared libs; dev tooling (scope:tooling: service runner, private infra,
// load suite) is for tools, benchmarks and tests, never for the apps. Direct constraints: the project
// graph counts spec imports, so a transitive one (notDependOnLibsWithTags) would reach tooling
// through any shared lib whose specs use private infrastructure.
const scopes = ['scope:shared', ...APPS.map((app) => `scope:${app}`)].map((sourceTag) => ({ sourceTag, onlyDependOnLibsWithTags: ['scope:shared'] }));
// A test-support project builds the project it supports, whose specs use it: a cycle through spec
// files only (production code cannot import test support), declared pair by pair.
const specCycles = [['db', 'db-testing'], ['service-kit', 'test-infra'], ...APPS.map((app) => [app, `${app}-testing`])];
const boundaries = (depConstraints, allow = []) => [
  'error',
  { enforceBuildableLibDependency: false, allow, depConstraints, ignoredCircularDependencies: specCycles },
];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.data/**', '.nx/**', 'libs/db/src/generated/**', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([...productionTypes, ...testTypes, ...scopes]),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@usersys/*-testing/src/**', '@usersys/test-infra/src/**'], message: 'Import test support through its public index: the package, or an entry its package.json exports.' }] }],
    },
  },
  // An app's test support may reach into that app (its composition root, config, domain), and only
  // that pair: libs/<app>-testing may import @usersys/<app>/src/**.
  ...APPS.map((app) => ({
    files: [`libs/${app}-testing/**/*.ts`],
    rules: { '@nx/enforce-module-boundaries': boundaries([...productionTypes, ...testTypes, ...scopes], [`@usersys/${app}/src/**`]) },
  })),
  {
    // Tests may also use test support and the dev tooling (private infrastructure, service runner); app code may not.
    files: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': boundaries(specTypes),
    },
  },
];
