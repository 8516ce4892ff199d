// Which service processes make up a system: `npm start` runs singleTopology() (one process per app),
// `npm start -- --cluster` runs clusterTopology() (every app replicated). Plain data, no processes:
// startServices() runs whatever list it is given, and tests build their own lists with free ports.
import { DEFAULT_HAPROXY_BACKENDS } from '@usersys/infra';
import path from 'node:path';

export const APPS = ['user-consumer', 'wal-relay', 'user-command', 'auth-gateway'] as const;
export type AppName = (typeof APPS)[number];

export interface AppSpec {
  name: AppName;
  /** The variable the app reads its listening port from. */
  portEnv: string;
  defaultPort: number;
}

/** Start order: the write path from the back, so nothing waits on a dependency that is not up yet. */
export const SERVICES: AppSpec[] = [
  { name: 'user-consumer', portEnv: 'USER_CONSUMER_PORT', defaultPort: 9465 },
  { name: 'wal-relay', portEnv: 'WAL_RELAY_PORT', defaultPort: 9464 },
  { name: 'user-command', portEnv: 'USER_COMMAND_PORT', defaultPort: 8081 },
  { name: 'auth-gateway', portEnv: 'AUTH_GATEWAY_PORT', defaultPort: 8080 },
];

export function appSpec(app: AppName): AppSpec {
  const spec = SERVICES.find((s) => s.name === app);
  if (!spec) throw new Error(`unknown app ${app} (known: ${APPS.join(', ')})`);
  return spec;
}

/** One service process: which app it runs, on which port, with which variables of its own. */
export interface ServiceInstance {
  /** Unique within a topology (`auth-gateway-2`); names its log file, and kill/restart/portOf take it. */
  name: string;
  app: AppName;
  port: number;
  /** This instance's own variables, on top of the environment all instances share. */
  env: Record<string, string>;
}

type Env = Record<string, string | undefined>;

/** Today's four processes, named after their apps, on the ports the environment gives (else the contract's). */
export function singleTopology(env: Env = process.env): ServiceInstance[] {
  return SERVICES.map((s) => ({ name: s.name, app: s.name, port: Number(env[s.portEnv] || s.defaultPort), env: {} }));
}

/** Default ports of the replicated topology; the gateways are HAProxy's default backends. */
export const CLUSTER_PORTS = {
  gateways: DEFAULT_HAPROXY_BACKENDS.map((b) => Number(b.split(':').pop())),
  commands: [8101, 8102],
  relays: [9471, 9472],
  consumers: [9481, 9482, 9483],
} as const;

export interface ClusterTopologyOptions {
  /** One auth-gateway per port: the ports HAProxy balances over (HAPROXY_BACKENDS). */
  gatewayPorts?: readonly number[];
  /** One user-command replica per port. */
  commandPorts?: readonly number[];
  /** One wal-relay per command replica (same count as commandPorts), shipping that replica's WAL directory. */
  relayPorts?: readonly number[];
  /** One user-consumer per port, all in one consumer group (CONSUMER_GROUP_ID of the shared environment). */
  consumerPorts?: readonly number[];
  /** Replica n's WAL directory is <walRoot>/replica-n (relative paths are under the repository). */
  walRoot?: string;
  /** The gateways' TRUST_PROXY: exactly the proxy in front of them (HAProxy on this machine: loopback). */
  trustProxy?: string;
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/**
 * The replicated topology: gateways behind HAProxy, user-command replicas each with its own WAL
 * directory and its own wal-relay (a "pod" of command + relay sharing a volume), consumers in one
 * group. Every gateway knows every command replica (USER_COMMAND_URLS) and routes by username;
 * each replica knows the list and itself (USER_COMMAND_SELF) to refuse writes it does not own.
 * Each gateway's login-audit WAL sits in one replica's WAL directory, so that replica's relay ships it.
 */
export function clusterTopology(options: ClusterTopologyOptions = {}): ServiceInstance[] {
  const gateways = options.gatewayPorts ?? CLUSTER_PORTS.gateways;
  const commands = options.commandPorts ?? CLUSTER_PORTS.commands;
  const relays = options.relayPorts ?? CLUSTER_PORTS.relays;
  const consumers = options.consumerPorts ?? CLUSTER_PORTS.consumers;
  const walRoot = options.walRoot ?? '.data/wal-cluster';
  if (!gateways.length || !commands.length || !consumers.length) throw new Error('a cluster topology needs at least one gateway, one command replica and one consumer');
  if (relays.length !== commands.length) throw new Error(`one wal-relay per user-command replica: ${commands.length} command ports but ${relays.length} relay ports`);
  const all = [...gateways, ...commands, ...relays, ...consumers];
  if (new Set(all).size !== all.length) throw new Error(`every instance needs its own port (given: ${all.join(', ')})`);

  const walDir = (replica: number) => path.join(walRoot, `replica-${replica}`);
  const commandUrls = commands.map(url).join(',');
  const instance = (app: AppName, n: number, port: number, env: Record<string, string>): ServiceInstance => {
    const name = `${app}-${n}`;
    // Traces keep the app as service name; the instance tells replicas apart in Jaeger.
    return { name, app, port, env: { ...env, OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${name}` } };
  };
  return [
    ...consumers.map((port, i) => instance('user-consumer', i + 1, port, {})),
    ...relays.map((port, i) => instance('wal-relay', i + 1, port, { WAL_DIR: walDir(i + 1) })),
    ...commands.map((port, i) => instance('user-command', i + 1, port, { WAL_DIR: walDir(i + 1), WAL_NAME: `user-command-${i + 1}`, USER_COMMAND_URLS: commandUrls, USER_COMMAND_SELF: url(port) })),
    ...gateways.map((port, i) => {
      const replica = (i % commands.length) + 1;
      return instance('auth-gateway', i + 1, port, {
        TRUST_PROXY: options.trustProxy ?? 'loopback',
        USER_COMMAND_URLS: commandUrls,
        // Only for a gateway that does not read USER_COMMAND_URLS: USER_COMMAND_URLS wins when both are set.
        USER_COMMAND_URL: url(commands[replica - 1]),
        WAL_DIR: walDir(replica),
        AUDIT_WAL_NAME: `auth-gateway-${i + 1}-audit`,
      });
    }),
  ];
}
