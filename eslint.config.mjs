import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Apps never import apps; libs never import apps; every project type only depends on libs.
const typeConstraints = ['type:app', 'type:lib', 'type:e2e', 'type:tool'].map((sourceTag) => ({ sourceTag, onlyDependOnLibsWithTags: ['type:lib'] }));
const boundaries = (depConstraints) => ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.data/**', '.nx/**', 'libs/db/src/generated/**', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      // Shared libs use only shared libs; dev tooling (service runner, private infra, load suite) is
      // for tools, benchmarks and tests, never for the apps.
      '@nx/enforce-module-boundaries': boundaries([
        ...typeConstraints,
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        ...['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'].map((app) => ({ sourceTag: `scope:${app}`, notDependOnLibsWithTags: ['scope:tooling'] })),
      ]),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests may also use the dev tooling (private infrastructure, service runner); app code may not.
    files: ['**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': boundaries(typeConstraints),
    },
  },
];
