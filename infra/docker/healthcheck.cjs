// HEALTHCHECK of the app images: exit 0 when this container's app answers 200 on /readyz.
// Each app's listen port variable and default (docs/architecture.md; tools/docker-image.spec.ts checks them
// against the apps' config).
const PORTS = {
  'auth-gateway': ['AUTH_GATEWAY_PORT', 8080],
  'user-command': ['USER_COMMAND_PORT', 8081],
  'wal-relay': ['WAL_RELAY_PORT', 9464],
  'user-consumer': ['USER_CONSUMER_PORT', 9465],
};

const app = process.env.APP;
if (!PORTS[app]) {
  console.error(`healthcheck: unknown APP "${app}"`);
  process.exit(2);
}
const [portVariable, defaultPort] = PORTS[app];
const port = process.env[portVariable] || defaultPort;

fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2500) }).then(
  (res) => process.exit(res.status === 200 ? 0 : 1),
  (err) => {
    console.error(`healthcheck: ${err.message}`);
    process.exit(1);
  },
);
