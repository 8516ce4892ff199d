/**
 * The value of a counter or gauge as a Prometheus scrape of `<url>/metrics` shows it: the sum of its
 * samples whose labels include `labels`. A metric the page does not declare (`# TYPE`) is an error,
 * so a typo in a test fails instead of reading 0.
 */
export async function scrapeMetric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
  const page = await res.text();
  if (!page.split('\n').some((line) => line.startsWith(`# TYPE ${name} `))) throw new Error(`no metric ${name}`);
  let sum = 0;
  for (const line of page.split('\n')) {
    const sample = parseSample(line);
    if (sample?.name === name && Object.entries(labels).every(([k, want]) => sample.labels[k] === want)) sum += sample.value;
  }
  return sum;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseSample(line: string): { name: string; labels: Record<string, string>; value: number } | null {
  const match = SAMPLE.exec(line);
  if (!match) return null;
  const labels: Record<string, string> = {};
  for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return { name: match[1], labels, value: Number(match[3]) };
}
