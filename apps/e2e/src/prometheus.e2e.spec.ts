import { createContext, down, readSettings, up, writeScrapeTargets, type ScrapedApp } from '@usersys/infra';
import { TOPIC_PARTITIONS, TOPICS } from '@usersys/event-schema';
import { freePort } from '@usersys/test-infra';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { json, poll, signUp, startSystem, uniqueUser, untilApplied, type System } from './harness';
import { exportedNames, metricNames } from './promql';

// A private Prometheus of the infrastructure program (own port and data dir, the repository's alert
// rules) scraping the four real services of a test system: every target up, every rule evaluated,
// and every metric a rule names exported by a live service. Nothing is mocked.
const APPS: ScrapedApp[] = ['auth-gateway', 'user-command', 'wal-relay', 'user-consumer'];

interface Rule {
  name: string;
  query: string;
  health: string;
  lastError?: string;
}

describe('Prometheus over the live services', () => {
  let system: System;
  let prometheus: string;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-e2e-prometheus-'));
  let ctx: ReturnType<typeof createContext>;

  const api = async <T>(query: string): Promise<T> => {
    const res = await fetch(`${prometheus}/api/v1/${query}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: T }).data;
  };
  const instant = (q: string) => api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`query?query=${encodeURIComponent(q)}`);

  beforeAll(async () => {
    system = await startSystem();
    // a sign-up through the write path and a failed login: the labelled series of those paths exist
    const user = uniqueUser('prom');
    await untilApplied(system.gateway, await signUp(system.gateway, user));
    await fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: user.username, password: 'wrong-password-1' }) });

    const port = await freePort();
    prometheus = `http://127.0.0.1:${port}`;
    const settings = readSettings({ ...process.env, INFRA_DATA_DIR: dataDir, INFRA_SERVICES: 'prometheus', PROMETHEUS_PORT: String(port) });
    ctx = createContext(settings, () => {});
    writeScrapeTargets(settings, APPS.map((app) => ({ app, port: system.services.portOf(app), name: app })));
    await up(ctx);
  }, 180_000);
  afterAll(async () => {
    if (ctx) await down(ctx);
    await system?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('scrapes all four services', async () => {
    const up = await poll(
      'all four targets scraped and up',
      async () => {
        const { result } = await instant('up');
        return result.length === 4 && result.every((r) => r.value[1] === '1') ? result : undefined;
      },
      60_000,
      1000,
    );
    expect(up.map((r) => r.metric.job).sort()).toEqual([...APPS].sort());
    expect(up.find((r) => r.metric.job === 'user-consumer')!.metric.instance).toBe(`127.0.0.1:${system.services.portOf('user-consumer')}`);
  });

  it('evaluates every alert rule of infra/prometheus/rules without an error, none firing on a healthy system', async () => {
    const groups = await poll(
      'every rule evaluated once',
      async () => {
        const data = await api<{ groups: { name: string; rules: (Rule & { lastEvaluation: string })[] }[] }>('rules');
        return data.groups.length === 3 && data.groups.every((g) => g.rules.every((r) => !r.lastEvaluation.startsWith('0001-'))) ? data.groups : undefined;
      },
      60_000,
      1000,
    );
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    const alerts = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('alerts');
    expect(alerts.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname)).toEqual([]);
  });

  it('every metric an alert rule names is exported on a live /metrics', async () => {
    const { groups } = await api<{ groups: { rules: Rule[] }[] }>('rules');
    // `up` is Prometheus' own (checked above); everything else must come from a service
    const named = new Set(groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.query))).filter((n) => n !== 'up'));
    expect([...named]).toEqual(expect.arrayContaining(['user_consumer_lag_messages', 'user_consumer_parked_users', 'kafka_producer_wal_oldest_age_seconds', 'login_attempts_total', 'rate_limiter_degraded']));
    const exported = new Set<string>();
    for (const app of APPS) {
      const res = await fetch(`http://127.0.0.1:${system.services.portOf(app)}/metrics`);
      expect(res.status).toBe(200);
      for (const n of exportedNames(await res.text())) exported.add(n);
    }
    expect([...named].filter((n) => !exported.has(n))).toEqual([]);
  });

  it("reads the consumer's lag per partition (caught up after the sign-up) and its parked users into Prometheus", async () => {
    const partitions = TOPIC_PARTITIONS[TOPICS.events];
    const lag = await poll(
      'consumer lag of every partition scraped, all caught up',
      async () => {
        const { result } = await instant(`user_consumer_lag_messages{topic="${TOPICS.events}"}`);
        return result.length === partitions && result.every((r) => r.value[1] === '0') ? result : undefined;
      },
      60_000,
      1000,
    );
    expect(new Set(lag.map((r) => r.metric.group)).size).toBe(1);
    expect(lag[0].metric.group).toMatch(/^user-consumer-e2e-/);
    const parked = await instant('user_consumer_parked_users');
    expect(parked.result.map((r) => r.metric.status).sort()).toEqual(['dead', 'retrying']);
  });
});

describe('metricNames (the PromQL reading of the check above)', () => {
  it('finds the metrics of an expression, not its functions, labels, strings or durations', () => {
    expect(metricNames('sum by (job) (increase(user_consumer_dead_letters_total[10m])) > 0 or sum by (job) (increase(wal_relay_dead_letters_total{a="b c"}[10m])) > 0')).toEqual(['user_consumer_dead_letters_total', 'wal_relay_dead_letters_total']);
    expect(metricNames('sum(rate(login_attempts_total{result="failure"}[5m])) > 3 * (sum(rate(login_attempts_total[1h] offset 5m)) or vector(0))')).toEqual(['login_attempts_total']);
    expect(metricNames('max by (group, topic, partition) (user_consumer_lag_messages{topic!="user.retry.v1"}) > 1e3')).toEqual(['user_consumer_lag_messages']);
    expect(metricNames('up{job=~"a|b"} == 0 and on (instance) x_seconds_bucket')).toEqual(['up', 'x_seconds_bucket']);
  });
});
