package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The repository's own docker-compose.yml, Dockerfile and .env.example.
var repo = filepath.Join("..", "..")

var scaled = []string{"auth-gateway", "user-consumer"}

func secrets(t *testing.T) []string {
	t.Helper()
	s, err := requiredSecrets(filepath.Join(repo, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// copyWith copies the compose file and the app Dockerfile into a temporary project, each with
// one text replaced (the replaced text must be there: the mutation must really happen).
func copyWith(t *testing.T, file, old, replacement string) string {
	t.Helper()
	dir := t.TempDir()
	for _, rel := range []string{"docker-compose.yml", "infra/docker/app.Dockerfile"} {
		text, err := os.ReadFile(filepath.Join(repo, rel))
		if err != nil {
			t.Fatal(err)
		}
		out := string(text)
		if rel == file {
			if !strings.Contains(out, old) {
				t.Fatalf("%s does not contain %q", rel, old)
			}
			out = strings.Replace(out, old, replacement, 1)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "docker-compose.yml")
}

func TestTheRepositoryFilePasses(t *testing.T) {
	if failures := Check(filepath.Join(repo, "docker-compose.yml"), secrets(t), scaled); len(failures) > 0 {
		t.Fatalf("docker-compose.yml:\n%s", strings.Join(failures, "\n"))
	}
}

// Each bug issue 14 listed, put back into a copy of the file, is reported.
func TestEachListedBugIsReported(t *testing.T) {
	cases := []struct {
		name, file, old, replacement, want string
	}{
		{"a JWT_SECRET default", "docker-compose.yml", "${JWT_SECRET:?set JWT_SECRET, see .env.example}", "${JWT_SECRET:-dev-jwt-secret}", "secret JWT_SECRET"},
		{"an image without HEALTHCHECK", "infra/docker/app.Dockerfile", "HEALTHCHECK --interval", "# HEALTHCHECK --interval", "auth-gateway: no health check"},
		{"/wal owned by root", "infra/docker/app.Dockerfile", "chown node:node /wal", "true", "does not create /wal owned by node"},
		{"the image running as root", "infra/docker/app.Dockerfile", "\nUSER node\n# /readyz", "\n# /readyz", "wal-relay-1: the image runs as root"},
		{"Kafka data in the image's temp path", "docker-compose.yml", "KAFKA_LOG_DIRS: /var/lib/kafka/data", "KAFKA_HEAP_OPTS: -Xmx1g", "KAFKA_LOG_DIRS unset"},
		{"Kafka data off the volume", "docker-compose.yml", "volumes: [kafka-data:/var/lib/kafka/data]", "volumes: [kafka-data:/data]", "log dir /var/lib/kafka/data is not on a named volume"},
		{"apps not waiting for the topics job", "docker-compose.yml", "  kafka-topics: { condition: service_completed_successfully }\n", "", "wal-relay-1: uses Kafka topics"},
		{"apps not waiting for the migrations", "docker-compose.yml", "  migrate: { condition: service_completed_successfully }\n", "", "user-consumer: uses the database schema"},
		{"the gateway not waiting for a user-command replica", "docker-compose.yml", "      user-command-2: { condition: service_healthy }\n", "", "auth-gateway: calls user-command, so it must depend on user-command-2"},
		{"a fixed WAL_NAME on a scaled service", "docker-compose.yml", "      AUTH_GATEWAY_HOST: 0.0.0.0\n", "      AUTH_GATEWAY_HOST: 0.0.0.0\n      AUDIT_WAL_NAME: audit\n", "auth-gateway scales, but sets AUDIT_WAL_NAME"},
		{"a fixed host port on a scaled service", "docker-compose.yml", "OTEL_SERVICE_NAME: user-consumer, USER_CONSUMER_HOST: 0.0.0.0 }", "OTEL_SERVICE_NAME: user-consumer, USER_CONSUMER_HOST: 0.0.0.0 }\n    ports: [\"127.0.0.1:9465:9465\"]", "user-consumer scales, but publishes host port 9465"},
		{"a waited-for job that restarts", "docker-compose.yml", "    restart: \"no\"\n    environment: { <<: [*app-env, *data-env] }", "    restart: on-failure\n    environment: { <<: [*app-env, *data-env] }", "but migrate restarts"},
		{"a fixed host port on the gateway", "docker-compose.yml", "      TRUST_PROXY: *proxy-address\n", "      TRUST_PROXY: *proxy-address\n    ports: [\"127.0.0.1:8081:8080\"]\n", "auth-gateway scales, but publishes host port 8081"},
		{"a gateway trusting a dynamic address", "docker-compose.yml", "      TRUST_PROXY: *proxy-address\n", "      TRUST_PROXY: 172.30.88.200\n", "TRUST_PROXY entry \"172.30.88.200\""},
		{"the proxy without its fixed address", "docker-compose.yml", "    networks: { default: { ipv4_address: *proxy-address } }\n", "", "TRUST_PROXY entry \"172.30.88.10\""},
		// user-command replicas: routing by username (routing.go).
		{"the list missing a replica", "docker-compose.yml", "&user-command-urls http://user-command-1:8081,http://user-command-2:8081", "&user-command-urls http://user-command-1:8081", "auth-gateway: USER_COMMAND_URLS"},
		{"the gateway calling one address", "docker-compose.yml", "      USER_COMMAND_URLS: *user-command-urls\n", "      USER_COMMAND_URL: http://user-command-1:8081\n", "auth-gateway: USER_COMMAND_URL is one address"},
		{"a replica with another list", "docker-compose.yml", "WAL_NAME: user-command-2, USER_COMMAND_URLS: *user-command-urls", "WAL_NAME: user-command-2, USER_COMMAND_URLS: http://user-command-2:8081", "user-command-2: USER_COMMAND_URLS"},
		{"a replica claiming another's entry", "docker-compose.yml", `USER_COMMAND_SELF: "http://user-command-2:8081"`, `USER_COMMAND_SELF: "http://user-command-1:8081"`, "user-command-2: USER_COMMAND_SELF"},
		{"a replica that can be scaled", "docker-compose.yml", "    container_name: usersys-user-command-1\n", "", "user-command-1 can be scaled"},
		{"a replica scaled in the file", "docker-compose.yml", "    container_name: usersys-user-command-1\n", "    container_name: usersys-user-command-1\n    deploy: { replicas: 2 }\n", "compose-go refuses the file"},
		{"a command service added outside the list", "docker-compose.yml", "  wal-relay-1:\n", "  user-command-3:\n    <<: *user-command\n    container_name: usersys-user-command-3\n    environment: { <<: *app-env, USER_COMMAND_URLS: *user-command-urls, USER_COMMAND_SELF: http://user-command-3:8081 }\n\n  wal-relay-1:\n", "auth-gateway: USER_COMMAND_URLS"},
		{"two replicas on one WAL volume", "docker-compose.yml", "    volumes: [wal-command-2:/wal]\n\n  wal-relay-2:", "    volumes: [wal-command-1:/wal]\n\n  wal-relay-2:", "user-command-2 shares its WAL volume wal-command-1"},
		{"a relay on the wrong volume", "docker-compose.yml", "    container_name: usersys-wal-relay-2\n    volumes: [wal-command-2:/wal]", "    container_name: usersys-wal-relay-2\n    volumes: [wal-command-1:/wal]", "user-command-2: its WAL volume wal-command-2 is read by 0 relays"},
		{"the audit WAL without a relay", "docker-compose.yml", "    volumes: [wal-gateway:/wal]\n\n", "    volumes: [wal-command-1:/wal]\n\n", "auth-gateway: its WAL volume wal-gateway is read by 0 relays"},
		{"a relay that can be scaled", "docker-compose.yml", "    container_name: usersys-wal-relay-gateway\n", "", "wal-relay-gateway can be scaled"},
		{"a schema error", "docker-compose.yml", "  restart: unless-stopped\n", "  restart: unless-stopped\n  replicas_typo: 2\n", "compose-go refuses the file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			failures := Check(copyWith(t, c.file, c.old, c.replacement), secrets(t), scaled)
			for _, f := range failures {
				if strings.Contains(f, c.want) {
					return
				}
			}
			t.Fatalf("want a failure containing %q, got:\n%s", c.want, strings.Join(failures, "\n"))
		})
	}
}

func TestDockerfileStages(t *testing.T) {
	d, err := readDockerfile(filepath.Join(repo, "infra/docker/app.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	app, migrate := d.stage(""), d.stage("migrate")
	if app.name != "app" || app.user != "node" || !app.healthcheck || !app.owns("node", "/wal") {
		t.Fatalf("last stage: %+v", app)
	}
	if migrate.user != "node" || migrate.healthcheck {
		t.Fatalf("migrate stage: %+v", migrate)
	}
}
