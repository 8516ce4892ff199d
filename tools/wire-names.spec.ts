import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { DLQ_HEADERS, HEADERS, RETRY_HEADERS, TOPICS } from '@usersys/event-schema';

// The wire contract (topic names, Kafka header names) is spelled in libs/event-schema only; every
// other program imports it (TOPICS, HEADERS, RETRY_HEADERS, DLQ_HEADERS). This fails on a string
// literal elsewhere that is a topic name (anywhere in the text) or a header name (the whole text).
// Comments and Markdown may name them: they are read, never sent.
const REPO = path.resolve(__dirname, '..');
const CONTRACT_LIB = 'libs/event-schema/';

/**
 * Allowed: tests (*.spec.ts, *.int.spec.ts, *.e2e.spec.ts) may spell the wire on purpose: a literal
 * in an assertion pins the bytes on the wire, so a renamed constant that would change them fails a
 * test instead of passing silently.
 */
const isTest = (file: string) => /\.spec\.ts$/.test(file);

/** Header names that are not only ours: W3C Trace Context (also HTTP headers, spelled by libs/tracing and the gateway's responses). */
const SHARED_NAMES = new Set<string>([HEADERS.traceparent, HEADERS.tracestate]);

/** [file, literal, why] that is a contract name by coincidence. */
const ALLOWED: Array<[string, string, string]> = [['tools/dead-letters.ts', HEADERS.eventId, 'the CLI option --event-id, not the header']];

const headerNames = new Set<string>([...Object.values(HEADERS), ...Object.values(RETRY_HEADERS), ...Object.values(DLQ_HEADERS)].filter((n) => !SHARED_NAMES.has(n)));
const topicNames: string[] = Object.values(TOPICS);

/** Every string literal's text in a TypeScript file (template literals: their literal parts), with its line. */
function literals(file: string, text: string): Array<{ line: number; text: string }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Array<{ line: number; text: string }> = [];
  const add = (node: ts.Node, literal: string) => out.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, text: literal });
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) add(node, node.text);
    else if (ts.isTemplateExpression(node)) {
      add(node.head, node.head.text);
      for (const span of node.templateSpans) add(span.literal, span.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** `file:line: "literal"` for each contract name spelled outside the contract lib. */
export function wireNamesOutsideContract(files: string[], read: (file: string) => string): string[] {
  return files
    .filter((f) => f.endsWith('.ts') && !f.startsWith(CONTRACT_LIB) && !isTest(f))
    .flatMap((file) =>
      literals(file, read(file))
        .filter((l) => topicNames.some((t) => l.text.includes(t)) || headerNames.has(l.text))
        .filter((l) => !ALLOWED.some(([f, literal]) => f === file && literal === l.text))
        .map((l) => `${file}:${l.line}: ${JSON.stringify(l.text)}`),
    );
}

describe('the wire contract is spelled once (libs/event-schema)', () => {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', 'apps', 'libs', 'tools', 'bench'], { cwd: REPO, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);

  it('no topic or header name is a string literal outside libs/event-schema (import TOPICS / HEADERS / RETRY_HEADERS / DLQ_HEADERS)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(wireNamesOutsideContract(files, (f) => readFileSync(path.join(REPO, f), 'utf8'))).toEqual([]);
  });

  it('finds a topic inside a longer text, a header as a whole literal, and ignores comments and tests', () => {
    const code = [
      '// user.dlq.v1 in a comment is fine',
      "const a = `send to user.retry.v1 now`;",
      "const b = headers['dlq-reason'];",
      "const c = 'a dlq-reason in a sentence';",
    ].join('\n');
    expect(wireNamesOutsideContract(['apps/x/src/a.ts', 'apps/x/src/a.spec.ts', 'libs/event-schema/src/a.ts'], () => code)).toEqual([
      'apps/x/src/a.ts:2: "send to user.retry.v1 now"',
      'apps/x/src/a.ts:3: "dlq-reason"',
    ]);
  });
});
