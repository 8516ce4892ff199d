// Generated parts inside hand-written YAML files (docker-compose.yml, the Helm chart's values.yaml):
// a block between two comment lines is rewritten by a generator, the rest of the file is left alone.
// The generators' specs compare the file with the rewritten file (a stale block fails them).

export interface GeneratedBlock {
  /** Names the block in its markers (`# ---- begin generated: <id> …`). */
  id: string;
  /** Who writes it and from what, said in the begin marker. */
  source: string;
  /** The block's lines (without markers), already indented. */
  lines: string[];
  /** Indentation of the marker lines. */
  indent?: string;
}

const beginPrefix = (id: string) => `# ---- begin generated: ${id} `;
const endLine = (id: string) => `# ---- end generated: ${id}`;

/** The block with its markers, as it stands in the file. */
export function renderBlock(block: GeneratedBlock): string {
  const indent = block.indent ?? '';
  return [`${indent}${beginPrefix(block.id)}(${block.source}); do not edit`, ...block.lines, `${indent}${endLine(block.id)}`].join('\n');
}

/** `text` with the block between its markers replaced; throws when the markers are missing. */
export function replaceBlock(text: string, block: GeneratedBlock): string {
  const lines = text.split('\n');
  const begin = lines.findIndex((l) => l.trimStart().startsWith(beginPrefix(block.id)));
  const end = lines.findIndex((l, i) => i > begin && l.trim() === endLine(block.id));
  if (begin < 0 || end < 0) throw new Error(`generated block "${block.id}": markers missing ("${beginPrefix(block.id)}…" … "${endLine(block.id)}")`);
  return [...lines.slice(0, begin), renderBlock(block), ...lines.slice(end + 1)].join('\n');
}

/** `text` with every block replaced. */
export function replaceBlocks(text: string, blocks: GeneratedBlock[]): string {
  return blocks.reduce(replaceBlock, text);
}
