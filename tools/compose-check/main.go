// compose-check loads docker-compose.yml with compose-go, the loader of Docker Compose itself
// (schema validation, interpolation, merge keys, consistency of references), and checks the rules
// the issue that fixed the file asked for: secrets without defaults, start order on health and on
// the one-shot jobs finishing, a health check wherever one is waited for, persistent data paths,
// a WAL volume the app user owns, services that scale (`--scale`), gateways that trust exactly
// their proxy, and user-command replicas the gateways route each username to (routing.go).
//
//	go run . [-file docker-compose.yml] [-env-example .env.example] [-scale auth-gateway,user-consumer]
//
// Built and cached by tools/compose-check.sh. Exit 0: every check passed; 1: one line per failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	file := flag.String("file", "docker-compose.yml", "the compose file")
	envExample := flag.String("env-example", ".env.example", "lists the secrets: a line `NAME=` with nothing after it")
	scale := flag.String("scale", "auth-gateway,user-consumer", "services that must run as several replicas (comma-separated)")
	flag.Parse()

	secrets, err := requiredSecrets(*envExample)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(2)
	}
	failures := Check(*file, secrets, strings.Split(*scale, ","))
	for _, f := range failures {
		fmt.Println("FAIL:", f)
	}
	if len(failures) > 0 {
		fmt.Printf("compose-check: %s: %d problem(s)\n", *file, len(failures))
		os.Exit(1)
	}
	fmt.Printf("compose-check: %s loads with compose-go and passes every check (secrets %s; scales %s)\n", *file, strings.Join(secrets, ", "), *scale)
}

// requiredSecrets: the names .env.example leaves empty (`NAME=`), which compose must require.
func requiredSecrets(envExample string) ([]string, error) {
	text, err := os.ReadFile(envExample)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)=$`).FindAllStringSubmatch(string(text), -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s names no secret (no line `NAME=`)", envExample)
	}
	return names, nil
}

// load parses the file as `docker compose` would with exactly these variables set.
func load(file string, env map[string]string) (*types.Project, error) {
	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	opts, err := cli.NewProjectOptions([]string{abs}, cli.WithWorkingDirectory(filepath.Dir(abs)), cli.WithEnv(pairs), cli.WithInterpolation(true), cli.WithConsistency(true))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// secretValue: a value each secret rule accepts (>= 32 bytes, URL-safe for the passwords in URLs).
func secretValue(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", "-")) + "-0123456789abcdef0123456789abcdef"
}

// Check returns one line per broken rule; none means the file is fine.
func Check(file string, secrets []string, scaled []string) []string {
	var failures []string
	fail := func(format string, args ...any) { failures = append(failures, fmt.Sprintf(format, args...)) }

	env := map[string]string{}
	for _, s := range secrets {
		env[s] = secretValue(s)
	}
	project, err := load(file, env)
	if err != nil {
		return []string{fmt.Sprintf("compose-go refuses the file with every secret set: %v", err)}
	}

	// Secrets: no default in the file (a default is a known, possibly too short, secret).
	for _, s := range secrets {
		without := map[string]string{}
		for k, v := range env {
			if k != s {
				without[k] = v
			}
		}
		if _, err := load(file, without); err == nil || !strings.Contains(err.Error(), s) {
			fail("secret %s: the file loads without it (a default or unused); use ${%s:?...}", s, s)
		}
	}
	// ... and each service that names one gets exactly the value supplied.
	for _, name := range sortedNames(project) {
		for k, v := range project.Services[name].Environment {
			if want, isSecret := env[k]; isSecret && (v == nil || *v != want) {
				fail("%s: environment %s is not the supplied secret", name, k)
			}
		}
	}

	stages := map[string]*dockerfile{}
	imageOf := func(svc types.ServiceConfig) *dockerfile {
		if svc.Build == nil {
			return nil
		}
		path := svc.Build.Dockerfile
		if !filepath.IsAbs(path) {
			path = filepath.Join(svc.Build.Context, path)
		}
		if stages[path] == nil {
			d, err := readDockerfile(path)
			if err != nil {
				fail("%s: %v", svc.Name, err)
				d = &dockerfile{}
			}
			stages[path] = d
		}
		return stages[path]
	}
	hasHealthcheck := func(svc types.ServiceConfig) bool {
		if svc.HealthCheck != nil {
			return !svc.HealthCheck.Disable && len(svc.HealthCheck.Test) > 0 && svc.HealthCheck.Test[0] != "NONE"
		}
		d := imageOf(svc)
		return d != nil && d.stage(svc.Build.Target).healthcheck
	}

	for _, name := range sortedNames(project) {
		svc := project.Services[name]
		built := svc.Build != nil

		// Start order: what a service waits for must be able to say so.
		for dep, cond := range svc.DependsOn {
			target, ok := project.Services[dep]
			if !ok {
				continue // compose-go's consistency check reports unknown services
			}
			switch cond.Condition {
			case types.ServiceConditionHealthy:
				if !hasHealthcheck(target) {
					fail("%s waits for %s to be healthy, but %s has no health check (compose or image HEALTHCHECK)", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if target.Restart != "" && target.Restart != types.RestartPolicyNo {
					fail("%s waits for %s to finish, but %s restarts (restart: %s)", name, dep, dep, target.Restart)
				}
			}
		}

		// The apps (long-running, built here): a health check, and they start only after the
		// topics job and the migrations finished and their infrastructure is healthy.
		if built && svc.Restart != types.RestartPolicyNo {
			if !hasHealthcheck(svc) {
				fail("%s: no health check (compose healthcheck or the image's HEALTHCHECK)", name)
			}
			waitsFor := func(dep, condition, why string) {
				if svc.DependsOn[dep].Condition != condition {
					fail("%s: %s, so it must depend on %s with condition %s", name, why, dep, condition)
				}
			}
			if _, ok := svc.Environment["KAFKA_BROKERS"]; ok {
				waitsFor("kafka-topics", types.ServiceConditionCompletedSuccessfully, "uses Kafka topics (auto-creation is off)")
				waitsFor("kafka", types.ServiceConditionHealthy, "uses Kafka")
			}
			if _, ok := svc.Environment["DATABASE_URL"]; ok {
				waitsFor("migrate", types.ServiceConditionCompletedSuccessfully, "uses the database schema")
			}
			if _, ok := svc.Environment["REDIS_URL"]; ok {
				waitsFor("redis", types.ServiceConditionHealthy, "uses Redis")
			}
			for _, replica := range commandReplicas(project) {
				if _, ok := svc.Environment["USER_COMMAND_URLS"]; ok && !isCommandReplica(svc) {
					waitsFor(replica, types.ServiceConditionHealthy, "calls user-command")
				}
			}
			// The WAL directory is a volume the app user can write.
			if walDir := value(svc.Environment, "WAL_DIR"); walDir != "" {
				mounted := false
				for _, v := range svc.Volumes {
					mounted = mounted || (v.Type == types.VolumeTypeVolume && v.Target == walDir)
				}
				if !mounted {
					fail("%s: WAL_DIR %s is not a named volume", name, walDir)
				}
				if d := imageOf(svc); d != nil {
					st := d.stage(svc.Build.Target)
					if st.user == "" || st.user == "root" || st.user == "0" {
						fail("%s: the image runs as root", name)
					} else if !st.owns(st.user, walDir) {
						fail("%s: the image does not create %s owned by %s (a new named volume copies the owner from the image)", name, walDir, st.user)
					}
				}
			}
		}

		// Kafka keeps its data where the volume is.
		if strings.Contains(svc.Image, "kafka") && svc.Restart != types.RestartPolicyNo {
			dirs := value(svc.Environment, "KAFKA_LOG_DIRS")
			if dirs == "" {
				fail("%s: KAFKA_LOG_DIRS unset: the apache/kafka image then writes to /tmp/kraft-combined-logs, lost with the container", name)
			}
			for _, dir := range strings.Split(dirs, ",") {
				if dir != "" && !namedVolumeAt(svc, dir) {
					fail("%s: log dir %s is not on a named volume", name, dir)
				}
			}
		}
	}

	// A gateway behind a proxy trusts X-Forwarded-For from exactly that proxy: every TRUST_PROXY
	// entry is the fixed address of a service of the file (a dynamic address could be any container).
	fixed := map[string]string{}
	for _, name := range sortedNames(project) {
		for _, net := range project.Services[name].Networks {
			if net != nil && net.Ipv4Address != "" {
				fixed[net.Ipv4Address] = name
			}
		}
	}
	for _, name := range sortedNames(project) {
		trust := value(project.Services[name].Environment, "TRUST_PROXY")
		if trust == "" || trust == "false" {
			continue
		}
		for _, entry := range strings.Split(trust, ",") {
			if _, ok := fixed[strings.TrimSpace(entry)]; !ok {
				fail("%s: TRUST_PROXY entry %q is not the fixed address (networks: ipv4_address) of a service in the file", name, strings.TrimSpace(entry))
			}
		}
	}

	failures = append(failures, checkRouting(project)...)

	// Services that scale: nothing fixed per container.
	for _, name := range scaled {
		svc, ok := project.Services[name]
		if !ok {
			fail("scaled service %s is not in the file", name)
			continue
		}
		if svc.ContainerName != "" {
			fail("%s scales, but has container_name %q (one per host)", name, svc.ContainerName)
		}
		for _, p := range svc.Ports {
			if p.Published != "" && !strings.Contains(p.Published, "-") {
				fail("%s scales, but publishes host port %s (only one replica can bind it)", name, p.Published)
			}
		}
		for k := range svc.Environment {
			if strings.HasSuffix(k, "WAL_NAME") {
				fail("%s scales, but sets %s: replicas would share one WAL directory (one writer per directory)", name, k)
			}
		}
		if svc.Deploy != nil && svc.Deploy.Replicas != nil && *svc.Deploy.Replicas == 1 {
			fail("%s scales, but deploy.replicas pins it to 1", name)
		}
	}
	return failures
}

func sortedNames(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func value(m types.MappingWithEquals, key string) string {
	if v, ok := m[key]; ok && v != nil {
		return *v
	}
	return ""
}

func namedVolumeAt(svc types.ServiceConfig, path string) bool {
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Source != "" && strings.TrimSuffix(v.Target, "/") == strings.TrimSuffix(path, "/") {
			return true
		}
	}
	return false
}
