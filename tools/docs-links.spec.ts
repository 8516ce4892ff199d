import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The repository owns its documentation: nothing points outside it (the design notes it grew from
// are not in a clone), and every relative link in a Markdown file leads to a file that exists.
const REPO = path.resolve(__dirname, '..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
const OUTSIDE = /\.\.\/shared\/|\bCONTRACT\.md\b|\bMISSION\.md\b/;

describe('documentation', () => {
  it('points into docs/, never to files outside the repository', () => {
    const self = path.relative(REPO, __filename);
    const texts = tracked.filter((f) => f !== self && !/\.(png|jpg|ico|lock)$|package-lock\.json$/.test(f) && existsSync(path.join(REPO, f)));
    const offenders = texts.flatMap((f) =>
      readFileSync(path.join(REPO, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (OUTSIDE.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 120)}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('has no broken relative links in Markdown', () => {
    const markdown = tracked.filter((f) => f.endsWith('.md') && existsSync(path.join(REPO, f)));
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/architecture.md', 'docs/operations.md']));
    const broken = markdown.flatMap((f) =>
      [...readFileSync(path.join(REPO, f), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1].split('#')[0])
        .filter((target) => target && !/^[a-z]+:/i.test(target))
        .filter((target) => !existsSync(path.resolve(REPO, path.dirname(f), decodeURIComponent(target))))
        .map((target) => `${f}: ${target}`),
    );
    expect(broken).toEqual([]);
  });
});
