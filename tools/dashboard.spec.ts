import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The Grafana dashboard and the Prometheus config in infra/ must follow the code: every metric a
// panel queries is defined by some app or lib (or is a prom-client default metric), and every app
// is scraped.
const REPO = path.resolve(__dirname, '..');
const DEFAULT_METRICS = new Set(['process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_handles_total']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'generated') return [];
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') && !full.endsWith('.spec.ts') ? [full] : [];
  });
}

describe('infra/ observability config', () => {
  const code = ['apps', 'libs'].flatMap((d) => sources(path.join(REPO, d))).map((f) => readFileSync(f, 'utf8')).join('\n');
  const dashboard = JSON.parse(readFileSync(path.join(REPO, 'infra/grafana/dashboards/usersys.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };

  it('queries only metrics the services define', () => {
    const metric = /\b([a-z_]+?_(?:total|seconds|bytes|backlog|degraded|size|in_flight))(?:_bucket|_count|_sum)?\b/g;
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => [...t.expr.matchAll(metric)].map((m) => m[1])));
    expect(queried.size).toBeGreaterThan(20);
    // Metrics named `${prefix}_suffix` by a shared lib (the hash pools) count when an app passes that prefix.
    const suffixes = [...code.matchAll(/\$\{[\w.]*prefix\}(_[a-z_]+)`/g)].map((m) => m[1]);
    const prefixes = [...code.matchAll(/prefix: '([a-z_]+)'/g)].map((m) => m[1]);
    const templated = new Set(prefixes.flatMap((p) => suffixes.map((s) => p + s)));
    const unknown = [...queried].filter((m) => !DEFAULT_METRICS.has(m) && !code.includes(`'${m}'`) && !templated.has(m));
    expect(unknown).toEqual([]);
  });

  it('scrapes every app on its contract port', () => {
    const prometheus = readFileSync(path.join(REPO, 'infra/prometheus/prometheus.yml'), 'utf8');
    // the named user-command replicas and every relay (docker-compose.yml)
    expect(prometheus).toContain('targets: ["user-command-1:8081", "user-command-2:8081"]');
    expect(prometheus).toContain('targets: ["wal-relay-1:9464", "wal-relay-2:9464", "wal-relay-gateway:9464"]');
    // the services that scale: every replica, found through Docker's DNS
    for (const [app, port] of [['auth-gateway', 8080], ['user-consumer', 9465]]) expect(prometheus).toContain(`names: ["${app}"], type: A, port: ${port}`);
  });
});
