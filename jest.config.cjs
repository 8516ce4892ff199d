// Every unit and integration test of every lib and app in one run (`npm test`); each project can
// also run alone with `npx nx test <project>`. End-to-end tests live in apps/e2e and run separately.
const { readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

const projects = ['libs', 'apps']
  .flatMap((dir) => readdirSync(path.join(__dirname, dir)).map((name) => path.join(__dirname, dir, name, 'jest.config.cjs')))
  .concat(path.join(__dirname, 'tools', 'jest.config.cjs'), path.join(__dirname, 'bench', 'jest.config.cjs'))
  .filter((file) => existsSync(file) && !file.includes(`${path.sep}e2e${path.sep}`));

// testTimeout is a global option: the presets' value is ignored in a multi-project run, where
// Jest's 5 s default then failed specs on a loaded machine.
module.exports = { projects, testTimeout: 30000 };
