import type { PrivateSystem } from './private-system';

/**
 * One fault at a time. `inject` breaks something; `heal` puts it back and resolves once the
 * broken part answers again (a restarted service's /healthz, a restarted broker with leaders).
 */
export interface Fault<S = PrivateSystem> {
  name: string;
  inject(s: S): Promise<void>;
  /** How long the fault lasts before heal() (a kill's restart adds its own start-up time). */
  holdMs: number;
  /** Start the load only once the fault is in place (default: load first, then the fault). */
  loadAfterInjection?: boolean;
  heal(s: S): Promise<void>;
}

const serviceKill = (service: string): Fault => ({
  name: `${service} SIGKILL`,
  holdMs: 2000,
  inject: (s) => s.system.services.kill(service, 'SIGKILL'),
  heal: (s) => s.system.services.restart(service),
});

/**
 * A rolling restart as an operator (or Kubernetes) does one: SIGTERM each service in turn, which
 * must shut down gracefully (exit 0 before the runner's 15 s SIGKILL deadline: intake stopped, work
 * drained, checkpoints and offsets committed), then start it again, all while the load runs.
 */
const rollingRestart: Fault = {
  name: 'rolling restart (SIGTERM each service)',
  holdMs: 0,
  inject: async (s) => {
    for (const service of ['wal-relay', 'user-consumer', 'user-command', 'auth-gateway']) {
      await s.system.services.kill(service, 'SIGTERM');
      const exited = s.system.services.processes.get(service)!;
      if (exited.exitCode !== 0) throw new Error(`${service} did not shut down gracefully on SIGTERM: ${exited.signalCode ? `ended by ${exited.signalCode}` : `exit code ${exited.exitCode}`} (see its log under .data/logs)`);
      await s.system.services.restart(service);
    }
  },
  heal: async () => undefined,
};

/** In the issue's order. INVARIANT_FAULTS=<comma-separated names> runs a subset (names as below, lower-case). */
export const FAULTS: Fault[] = [
  // First, on an idle relay: its lanes then first connect to a broker that accepts the connection but
  // never answers, the case that left the relay disconnected for good (issue 12, failure 1).
  { name: 'kafka frozen 20s', holdMs: 20_000, loadAfterInjection: true, inject: (s) => s.kafka.freeze(), heal: (s) => s.kafka.thaw() },
  { name: 'kafka killed', holdMs: 3000, inject: (s) => s.kafka.kill(), heal: (s) => s.kafka.start() },
  { name: 'redis killed', holdMs: 3000, inject: (s) => s.redis.kill(), heal: (s) => s.redis.start() },
  { name: 'postgres killed', holdMs: 3000, inject: (s) => s.postgres.kill(), heal: (s) => s.postgres.start() },
  serviceKill('wal-relay'),
  serviceKill('user-consumer'),
  serviceKill('user-command'),
  rollingRestart,
];

export function selectedFaults(env: NodeJS.ProcessEnv = process.env): Fault[] {
  return selectFaults(FAULTS, env);
}

/** The faults of `all` that INVARIANT_FAULTS names (by the start of their name), or all of them. */
export function selectFaults<S>(all: Fault<S>[], env: NodeJS.ProcessEnv = process.env): Fault<S>[] {
  const wanted = env.INVARIANT_FAULTS?.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  if (!wanted?.length) return all;
  const chosen = all.filter((f) => wanted.some((w) => f.name.toLowerCase().startsWith(w)));
  if (chosen.length === 0) throw new Error(`INVARIANT_FAULTS="${env.INVARIANT_FAULTS}" matches none of: ${all.map((f) => f.name).join('; ')}`);
  return chosen;
}
